import type { Request, Response } from 'express';
import { OrderStatus } from '../../generated/prisma/client';
import { DATE_RANGES, OUTCOMES, type OrderPage, type OrderRow } from '../../shared/compliance/order-search';
import { when } from '../../shared/compliance/order-view';
import { roleAtLeast } from '../../shared/compliance/staff/roles';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';
import { codeWithMeaning, outcomeBadge, pager, rawQuery, statusBadge, withQuery } from './page-parts';

const RANGE_KEYS: Record<(typeof DATE_RANGES)[number], string> = {
  today: 'search.today',
  '7d': 'search.days7',
  '30d': 'search.days30',
};

function searchForm(req: Request, res: Response, apps: readonly { key: string }[]): Html {
  const base = baseOf(req);
  const t = tOf(req, res);
  const f = rawQuery(req);
  const val = (k: string) => (typeof f[k] === 'string' ? f[k] : '');
  const option = (name: string, value: string, label: string) =>
    html`<option value="${value}" ${val(name) === value ? html`selected` : ''}>${label}</option>`;
  const rangeHref = (r: string) =>
    `${base}/?${withQuery(req, { range: r, from: undefined, to: undefined, cursor: undefined, before: undefined })}`;
  return html` <form method="get" action="${base}/" class="search" id="search-form" role="search">
      <label class="wide"
        >${t('search.q')}
        <input name="q" value="${val('q')}" maxlength="128" placeholder="${t('search.qPlaceholder')}" autofocus
      /></label>
      ${val('orderNo') ? html`<input type="hidden" name="orderNo" value="${val('orderNo')}" />` : ''}
      <label
        >${t('search.app')}
        <select name="app">
          ${option('app', '', t('common.any'))} ${apps.map((a) => option('app', a.key, a.key))}
        </select></label
      >
      <label
        >${t('search.outcome')}
        <select name="outcome">
          ${option('outcome', '', t('common.any'))} ${OUTCOMES.map((o) => option('outcome', o, t(`outcome.${o}`)))}
        </select></label
      >
      <label
        >${t('search.status')}
        <select name="status">
          ${option('status', '', t('common.any'))}
          ${Object.values(OrderStatus).map((s) => option('status', s, t(`status.${s}`)))}
        </select></label
      >
      <label
        >${t('search.resultCode')} <input name="resultCode" value="${val('resultCode')}" maxlength="32" size="10"
      /></label>
      <label>${t('search.from')} <input name="from" type="date" value="${val('from')}" /></label>
      <label>${t('search.to')} <input name="to" type="date" value="${val('to')}" /></label>
      ${val('range') ? html`<input type="hidden" name="range" value="${val('range')}" />` : ''}
      <button type="submit">${t('search.submit')}</button>
    </form>
    <p class="shortcuts">
      ${DATE_RANGES.map(
        (r) =>
          html`<a href="${rangeHref(r)}" class="range ${val('range') === r ? 'current' : ''}" data-range="${r}"
            >${t(RANGE_KEYS[r])}</a
          >`,
      )}
    </p>`;
}

function resultsTable(req: Request, res: Response, rows: readonly OrderRow[]): Html {
  const t = tOf(req, res);
  const base = baseOf(req);
  if (rows.length === 0) return html`<p id="no-results">${t('search.noResults')}</p>`;
  return html`<div class="scroll">
    <table class="results">
      <thead>
        <tr>
          <th>${t('search.col.orderNo')}</th>
          <th>${t('search.col.outcome')}</th>
          <th>${t('search.col.resultCode')}</th>
          <th>${t('search.col.status')}</th>
          <th>${t('search.col.app')}</th>
          <th>${t('search.col.product')}</th>
          <th>${t('search.col.recorded')}</th>
          <th>${t('search.col.archived')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (o) =>
            html`<tr>
              <td><a class="order-link mono" href="${base}/orders/${o.id}">${o.orderNo}</a></td>
              <td>${outcomeBadge(req, res, o.outcome)}</td>
              <td>${codeWithMeaning(req, res, o.resultCode, o.product)}</td>
              <td>${statusBadge(req, res, o.status)}</td>
              <td>${o.appKey}</td>
              <td>${o.product}</td>
              <td class="nowrap">${when(o.createdAt)}</td>
              <td class="nowrap">${when(o.archivedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** The order search page: the form (refilled from the query), then results or why the search was refused. */
export function orderSearchPage(
  req: Request,
  res: Response,
  apps: readonly { key: string }[],
  outcome: { invalid: string } | OrderPage,
): string {
  const t = tOf(req, res);
  const form = searchForm(req, res, apps);
  const title = t('search.title');
  if ('invalid' in outcome)
    return page(
      req,
      res,
      title,
      html`<h1>${title}</h1>
        ${form}
        <p class="error" role="alert">${t('search.invalid', { reason: outcome.invalid })}</p>`,
    );
  const staff = res.locals.staff;
  const filters = new URLSearchParams(withQuery(req, { cursor: undefined, before: undefined }));
  const csv =
    staff && roleAtLeast(staff.role, 'auditor')
      ? html`<form method="get" action="${baseOf(req)}/orders.csv" class="search export-list" id="orders-csv">
          ${[...filters.entries()].map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
          <label
            >${t('purpose.label')}
            <input name="purpose" required minlength="2" maxlength="200" placeholder="${t('purpose.placeholder')}"
          /></label>
          <button type="submit">${t('search.exportCsv')}</button>
        </form>`
      : '';
  return page(
    req,
    res,
    title,
    html` <h1>${title}</h1>
      ${form} ${pager(req, res, '/', outcome)} ${resultsTable(req, res, outcome.rows)}
      ${pager(req, res, '/', { ...outcome, total: undefined })} ${csv}`,
  );
}
