import type { Request, Response } from 'express';
import { CALLBACK_VERDICTS, type CallbackAttemptRow } from '../../shared/compliance/callback-attempts';
import { when } from '../../shared/compliance/order-view';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';
import { wordOr } from './order-history-page';
import { opt, pager, rawQuery } from './page-parts';

function filterForm(req: Request, res: Response): Html {
  const t = tOf(req, res);
  const q = rawQuery(req);
  const val = (k: string) => (typeof q[k] === 'string' ? q[k] : '');
  return html`<form method="get" action="${baseOf(req)}/callbacks" class="search" id="callbacks-form">
    <label>${t('callbacks.orderNo')} <input name="orderNo" value="${val('orderNo')}" maxlength="64" /></label>
    <label
      >${t('callbacks.verdict')}
      <select name="verdict">
        <option value="">${t('common.any')}</option>
        ${CALLBACK_VERDICTS.map(
          (v) =>
            html`<option value="${v}" ${val('verdict') === v ? html`selected` : ''}>
              ${t(`callbacks.verdicts.${v}`)}
            </option>`,
        )}
      </select></label
    >
    <label
      >${t('callbacks.clientIp')} <input name="clientIp" value="${val('clientIp')}" maxlength="64" size="14"
    /></label>
    <label>${t('callbacks.code')} <input name="code" value="${val('code')}" maxlength="32" size="10" /></label>
    <label>${t('search.from')} <input name="from" type="date" value="${val('from')}" /></label>
    <label>${t('search.to')} <input name="to" type="date" value="${val('to')}" /></label>
    <label class="check"
      ><input type="checkbox" name="unmatched" value="1" ${val('unmatched') === '1' ? html`checked` : ''} />
      ${t('callbacks.noOrder')}</label
    >
    <button type="submit">${t('common.filter')}</button>
  </form>`;
}

/** The callback-attempts view: every attempt with its verdict, reason, code and client IP, filterable. */
export function callbackAttemptsPage(
  req: Request,
  res: Response,
  outcome: { invalid: true } | { rows: readonly CallbackAttemptRow[]; nextCursor?: string; total: number },
): string {
  const t = tOf(req, res);
  const base = baseOf(req);
  const title = t('callbacks.title');
  if ('invalid' in outcome)
    return page(
      req,
      res,
      title,
      html`<h1>${title}</h1>
        ${filterForm(req, res)}
        <p class="error" role="alert">${t('errors.code.bad_request')}</p>`,
    );
  return page(
    req,
    res,
    title,
    html`<h1>${title}</h1>
      <p class="hint">${t('callbacks.intro')}</p>
      ${filterForm(req, res)} ${pager(req, res, '/callbacks', { total: outcome.total })}
      ${
        outcome.rows.length === 0
          ? html`<p id="no-results">${t('callbacks.none')}</p>`
          : html`<div class="scroll">
              <table class="results" id="callback-attempts">
                <thead>
                  <tr>
                    <th>${t('callbacks.at')}</th>
                    <th>${t('callbacks.orderNo')}</th>
                    <th>${t('callbacks.order')}</th>
                    <th>${t('callbacks.verdict')}</th>
                    <th>${t('callbacks.reason')}</th>
                    <th>${t('callbacks.code')}</th>
                    <th>${t('callbacks.clientIp')}</th>
                    <th>${t('callbacks.channel')}</th>
                    <th>${t('order.app')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${outcome.rows.map(
                    (c) =>
                      html`<tr class="verdict-${c.verdict}" data-verdict="${c.verdict}">
                        <td class="nowrap">${when(c.createdAt)}</td>
                        <td class="mono">${opt(c.orderNo)}</td>
                        <td>
                          ${
                            c.orderId
                              ? html`<a class="order-link" href="${base}/orders/${c.orderId}"
                                  >${t('callbacks.order')}</a
                                >`
                              : html`<span class="hint">${t('callbacks.noOrder')}</span>`
                          }
                        </td>
                        <td>${wordOr(t, `callbacks.verdicts.${c.verdict}`, c.verdict)}</td>
                        <td>${opt(c.reason)}</td>
                        <td>${opt(c.code)}</td>
                        <td class="mono">${opt(c.clientIp)}</td>
                        <td>${wordOr(t, `callbacks.channels.${c.channel}`, c.channel)}</td>
                        <td>${opt(c.appKey)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
      ${pager(req, res, '/callbacks', { nextCursor: outcome.nextCursor })}`,
  );
}
