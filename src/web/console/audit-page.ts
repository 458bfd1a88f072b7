import type { Request, Response } from 'express';
import type { AuditEntry } from '../../generated/prisma/client';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../../shared/compliance/audit';
import { when } from '../../shared/compliance/order-view';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';
import { detailText } from './detail-text';
import { opt, pager, rawQuery } from './page-parts';

/** An audit action in words (`user.create` is `audit.actions.user_create`: i18next nests on dots). */
export const actionWords = (t: (k: string) => string, action: string) => t(`audit.actions.${action.replace('.', '_')}`);

/** The filter form (refilled from the query) with a CSV link for the same filters. */
function auditFilterForm(req: Request, res: Response): Html {
  const base = baseOf(req);
  const t = tOf(req, res);
  const q = rawQuery(req);
  const val = (k: string) => (typeof q[k] === 'string' ? q[k] : '');
  const csvParams = new URLSearchParams();
  for (const k of ['actor', 'action', 'outcome', 'orderNo', 'from', 'to']) if (val(k)) csvParams.set(k, val(k));
  return html` <form method="get" action="${base}/audit" class="search">
    <label
      >${t('audit.actor')} <input name="actor" value="${val('actor')}" placeholder="${t('audit.actorPlaceholder')}"
    /></label>
    <label
      >${t('audit.action')}
      <select name="action">
        <option value="">${t('common.any')}</option>
        ${AUDIT_ACTIONS.map(
          (a) => html`<option value="${a}" ${val('action') === a ? html`selected` : ''}>${actionWords(t, a)}</option>`,
        )}
      </select></label
    >
    <label
      >${t('audit.outcome')}
      <select name="outcome">
        <option value="">${t('common.any')}</option>
        ${AUDIT_OUTCOMES.map(
          (a) =>
            html`<option value="${a}" ${val('outcome') === a ? html`selected` : ''}>
              ${t(`audit.outcomes.${a}`)}
            </option>`,
        )}
      </select></label
    >
    <label>${t('audit.orderNo')} <input name="orderNo" value="${val('orderNo')}" /></label>
    <label>${t('audit.from')} <input name="from" type="date" value="${val('from')}" /></label>
    <label>${t('audit.to')} <input name="to" type="date" value="${val('to')}" /></label>
    <button type="submit">${t('common.filter')}</button>
    <a href="${base}/api/audit.csv?${csvParams.toString()}" id="audit-csv">${t('common.downloadCsv')}</a>
  </form>`;
}

/** The audit trail page: filters, one page of rows, and the link to the next page. */
export function auditPage(req: Request, res: Response, rows: readonly AuditEntry[], nextCursor?: string): string {
  const base = baseOf(req);
  const t = tOf(req, res);
  return page(
    req,
    res,
    t('audit.title'),
    html` <h1>${t('audit.title')}</h1>
      ${auditFilterForm(req, res)}
      <div class="scroll">
        <table class="audit">
          <thead>
            <tr>
              <th>${t('audit.at')}</th>
              <th>${t('audit.actor')}</th>
              <th>${t('audit.role')}</th>
              <th>${t('audit.action')}</th>
              <th>${t('audit.outcome')}</th>
              <th>${t('audit.order')}</th>
              <th>${t('audit.purpose')}</th>
              <th>${t('audit.target')}</th>
              <th>${t('audit.ip')}</th>
              <th>${t('audit.detail')}</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map((a) => {
              const detail = (a.detail ?? {}) as Record<string, unknown>;
              const { purpose, ...rest } = detail;
              return html`<tr class="outcome-${a.outcome}" data-action="${a.action}">
                <td class="nowrap">${when(a.at)}</td>
                <td>${a.actor}</td>
                <td>${a.actorRole ? t(`role.${a.actorRole}`) : '—'}</td>
                <td>${actionWords(t, a.action)}</td>
                <td>${t(`audit.outcomes.${a.outcome}`)}</td>
                <td>${a.orderId ? html`<a href="${base}/orders/${a.orderId}">${a.orderNo}</a>` : opt(a.orderNo)}</td>
                <td class="purpose">${typeof purpose === 'string' ? purpose : '—'}</td>
                <td class="small">${opt(a.target)}</td>
                <td>${opt(a.ip)}</td>
                <td class="small">${detailText(rest)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${pager(req, res, '/audit', { nextCursor })}`,
  );
}
