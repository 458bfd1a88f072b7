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
    }
    ${eventCountsNote(v)}`;
}

/**
 * Forged callbacks cannot push the genuine ones off the page: every verified event is listed,
 * refused ones only the newest; this says how many of each verdict there are in all.
 */
function eventCountsNote(v: OrderView): Html {
  const hidden = v.callbackEventSummary.filter((c) => c.shown < c.events || c.attempts > c.events);
  if (hidden.length === 0) return html``;
  return html`<p class="event-counts">
    未全部列出的回调（共计）/ Not all listed (in all):
    ${hidden.map(
      (c) =>
        html`<span class="verdict-${c.verdict}"
          >${c.verdict}: ${c.events} 条 / rows (${c.attempts} 次 / attempts), ${c.shown} 条已列出 / listed</span
        > `,
    )}
  </p>`;
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
