import type { Request, Response } from 'express';
import { OrderStatus } from '../../generated/prisma/client';
import type { OrderRow } from '../../shared/compliance/order-search';
import { when } from '../../shared/compliance/order-view';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { nextLink, opt, rawQuery } from './page-parts';

function searchForm(req: Request, f: Record<string, unknown>, apps: readonly { key: string }[]): Html {
  const base = baseOf(req);
  const val = (k: string) => (typeof f[k] === 'string' ? f[k] : '');
  return html` <form method="get" action="${base}/" class="search" id="search-form">
    <label>Order no <input name="orderNo" value="${val('orderNo')}" maxlength="64" /></label>
    <label
      >App
      <select name="app">
        <option value="">any</option>
        ${apps.map((a) => html`<option value="${a.key}" ${val('app') === a.key ? html`selected` : ''}>${a.key}</option>`)}
      </select></label
    >
    <label
      >Status
      <select name="status">
        <option value="">any</option>
        ${Object.values(OrderStatus).map((s) => html`<option ${val('status') === s ? html`selected` : ''}>${s}</option>`)}
      </select></label
    >
    <label>Result code <input name="resultCode" value="${val('resultCode')}" maxlength="32" /></label>
    <label>From <input name="from" type="date" value="${val('from')}" /></label>
    <label>To <input name="to" type="date" value="${val('to')}" /></label>
    <button type="submit">Search</button>
  </form>`;
}

function resultsTable(base: string, rows: readonly OrderRow[]): Html {
  if (rows.length === 0) return html`<p>No orders match.</p>`;
  return html` <table class="results">
    <thead>
      <tr>
        <th>Order no</th>
        <th>App</th>
        <th>Product</th>
        <th>Status</th>
        <th>Result</th>
        <th>Recorded</th>
        <th>Archived</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (o) =>
          html`<tr>
            <td><a class="order-link mono" href="${base}/orders/${o.id}">${o.orderNo}</a></td>
            <td>${o.appKey}</td>
            <td>${o.product}</td>
            <td><span class="status status-${o.status}">${o.status}</span></td>
            <td>${opt(o.resultCode)}</td>
            <td>${when(o.createdAt)}</td>
            <td>${when(o.archivedAt)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The order search page: the form (refilled from the query), then results or why the search was refused. */
export function orderSearchPage(
  req: Request,
  res: Response,
  apps: readonly { key: string }[],
  outcome: { invalid: string } | { rows: readonly OrderRow[]; nextCursor?: string },
): string {
  const form = searchForm(req, rawQuery(req), apps);
  if ('invalid' in outcome)
    return page(
      req,
      res,
      'Orders',
      html`<h1>Orders</h1>
        ${form}
        <p class="error" role="alert">Invalid search: ${outcome.invalid}</p>`,
    );
  return page(
    req,
    res,
    'Orders',
    html` <h1>Orders</h1>
      ${form} ${resultsTable(baseOf(req), outcome.rows)} ${nextLink(req, '/', outcome.nextCursor)}`,
  );
}
