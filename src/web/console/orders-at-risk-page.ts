import type { Request, Response } from 'express';
import type { ordersAtRisk } from '../../shared/compliance/orders-at-risk';
import { when } from '../../shared/compliance/order-view';
import { html } from './html';
import { baseOf, page } from './layout';
import { opt } from './page-parts';

/** Orders whose WeBank window is about to close, with the counts of registered orders. */
export function ordersAtRiskPage(
  req: Request,
  res: Response,
  windowHours: number,
  { orders, registered }: Awaited<ReturnType<typeof ordersAtRisk>>,
): string {
  const base = baseOf(req);
  return page(
    req,
    res,
    'At risk',
    html` <h1>Orders at risk</h1>
      <p>
        Orders without archived evidence whose WeBank window (${windowHours} h) closes within 24 h. Registered orders:
        <span id="count-expected">${registered.expected}</span> expected,
        <span id="count-called-back">${registered.called_back}</span> called back,
        <span id="count-recovered">${registered.recovered}</span> recovered,
        <span id="count-expired">${registered.expired}</span> expired.
      </p>
      ${
        orders.length === 0
          ? html`<p>No order is at risk.</p>`
          : html` <table class="results" id="at-risk">
              <thead>
                <tr>
                  <th>Order no</th>
                  <th>Status</th>
                  <th>Started</th>
                  <th>Hours left</th>
                  <th>Lookups</th>
                  <th>Last error</th>
                </tr>
              </thead>
              <tbody>
                ${orders.map(
                  (o) =>
                    html`<tr>
                      <td><a class="order-link mono" href="${base}/orders/${o.id}">${o.orderNo}</a></td>
                      <td><span class="status status-${o.status}">${o.status}</span></td>
                      <td>${when(o.startedAt)}</td>
                      <td>${String(o.hoursLeft)}</td>
                      <td>${String(o.sweepCount)}</td>
                      <td>${opt(o.lastError)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}
