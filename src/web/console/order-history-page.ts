import { when, type OrderView } from '../../shared/compliance/order-view';
import { html, type Html } from './html';
import { opt } from './page-parts';

/** Every callback for the order, rejected forgeries included, with the ticket that matched. */
export function callbackEventsSection(v: OrderView): Html {
  return html`<h2>Callback events</h2>
    ${
      v.callbackEvents.length === 0
        ? html`<p>None recorded.</p>`
        : html` <table>
            <thead>
              <tr>
                <th>At</th>
                <th>Channel</th>
                <th>Verdict</th>
                <th>Code</th>
                <th>Reason</th>
                <th>Ticket</th>
                <th>Client IP</th>
              </tr>
            </thead>
            <tbody>
              ${v.callbackEvents.map(
                (c) =>
                  html`<tr class="verdict-${c.verdict}">
                    <td>${when(c.createdAt)}</td>
                    <td>${c.channel}</td>
                    <td>${c.verdict}</td>
                    <td>${opt(c.code)}</td>
                    <td>${opt(c.reason)}</td>
                    <td>${opt(c.ticketMatched)}</td>
                    <td>${opt(c.clientIp)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

/** The archive timeline: what the workers did with the order, in order. */
export function timelineSection(v: OrderView): Html {
  return html`<h2>Archive timeline</h2>
    ${
      v.timeline.length === 0
        ? html`<p>No events yet.</p>`
        : html` <table>
            <thead>
              <tr>
                <th>At</th>
                <th>Event</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              ${v.timeline.map(
                (t) =>
                  html`<tr>
                    <td>${when(t.createdAt)}</td>
                    <td>${t.type}</td>
                    <td class="mono small">${t.detail === null ? '' : JSON.stringify(t.detail)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}
