import type { Request, Response } from 'express';
import type { ordersAtRisk } from '../../shared/compliance/orders-at-risk';
import { when } from '../../shared/compliance/order-view';
import { html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';
import { opt, statusBadge } from './page-parts';

/** Orders whose WeBank window is about to close, with the counts of registered orders. */
export function ordersAtRiskPage(
  req: Request,
  res: Response,
  windowHours: number,
  { orders, registered }: Awaited<ReturnType<typeof ordersAtRisk>>,
): string {
  const base = baseOf(req);
  const t = tOf(req, res);
  return page(
    req,
    res,
    t('atRisk.title'),
    html` <h1>${t('atRisk.heading')}</h1>
      <p>
        ${t('atRisk.intro', {
          hours: windowHours,
          expected: registered.expected,
          calledBack: registered.called_back,
          recovered: registered.recovered,
          expired: registered.expired,
        })}
      </p>
      ${
        orders.length === 0
          ? html`<p>${t('atRisk.none')}</p>`
          : html`<div class="scroll">
              <table class="results" id="at-risk">
                <thead>
                  <tr>
                    <th>${t('search.col.orderNo')}</th>
                    <th>${t('search.col.status')}</th>
                    <th>${t('atRisk.started')}</th>
                    <th>${t('atRisk.hoursLeft')}</th>
                    <th>${t('atRisk.lookups')}</th>
                    <th>${t('atRisk.lastError')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${orders.map(
                    (o) =>
                      html`<tr>
                        <td><a class="order-link mono" href="${base}/orders/${o.id}">${o.orderNo}</a></td>
                        <td>${statusBadge(req, res, o.status)}</td>
                        <td class="nowrap">${when(o.startedAt)}</td>
                        <td>${String(o.hoursLeft)}</td>
                        <td>${String(o.sweepCount)}</td>
                        <td>${opt(o.lastError)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }`,
  );
}
