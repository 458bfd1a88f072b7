import type { Request, Response } from 'express';
import type { AuditEntry } from '../../generated/prisma/client';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../../shared/compliance/audit';
import { when } from '../../shared/compliance/order-view';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { nextLink, opt, rawQuery } from './page-parts';

/** The filter form (refilled from the query) with a CSV link for the same filters. */
function auditFilterForm(req: Request): Html {
  const base = baseOf(req);
  const q = rawQuery(req);
  const val = (k: string) => (typeof q[k] === 'string' ? q[k] : '');
  const csvParams = new URLSearchParams();
  for (const k of ['actor', 'action', 'outcome', 'orderNo', 'from', 'to']) if (val(k)) csvParams.set(k, val(k));
  return html` <form method="get" action="${base}/audit" class="search">
    <label>Actor <input name="actor" value="${val('actor')}" placeholder="alice or cli:root" /></label>
    <label
      >Action
      <select name="action">
        <option value="">any</option>
        ${AUDIT_ACTIONS.map((a) => html`<option ${val('action') === a ? html`selected` : ''}>${a}</option>`)}
      </select></label
    >
    <label
      >Outcome
      <select name="outcome">
        <option value="">any</option>
        ${AUDIT_OUTCOMES.map((a) => html`<option ${val('outcome') === a ? html`selected` : ''}>${a}</option>`)}
      </select></label
    >
    <label>Order no <input name="orderNo" value="${val('orderNo')}" /></label>
    <label>From <input name="from" type="date" value="${val('from')}" /></label>
    <label>To <input name="to" type="date" value="${val('to')}" /></label>
    <button type="submit">Filter</button>
    <a href="${base}/api/audit.csv?${csvParams.toString()}" id="audit-csv">Download CSV</a>
  </form>`;
}

/** The audit trail page: filters, one page of rows, and the link to the next page. */
export function auditPage(req: Request, res: Response, rows: readonly AuditEntry[], nextCursor?: string): string {
  const base = baseOf(req);
  return page(
    req,
    res,
    'Audit trail',
    html` <h1>Audit trail</h1>
      ${auditFilterForm(req)}
      <table class="audit">
        <thead>
          <tr>
            <th>At</th>
            <th>Actor</th>
            <th>Role</th>
            <th>Action</th>
            <th>Outcome</th>
            <th>Order</th>
            <th>Target</th>
            <th>IP</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (a) =>
              html`<tr class="outcome-${a.outcome}">
                <td>${when(a.at)}</td>
                <td>${a.actor}</td>
                <td>${opt(a.actorRole)}</td>
                <td>${a.action}</td>
                <td>${a.outcome}</td>
                <td>${a.orderId ? html`<a href="${base}/orders/${a.orderId}">${a.orderNo}</a>` : opt(a.orderNo)}</td>
                <td class="small">${opt(a.target)}</td>
                <td>${opt(a.ip)}</td>
                <td class="mono small">${a.detail === null ? '' : JSON.stringify(a.detail)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${nextLink(req, '/audit', nextCursor)}`,
  );
}
