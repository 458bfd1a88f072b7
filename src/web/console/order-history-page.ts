import type { Request, Response } from 'express';
import { when, type OrderView } from '../../shared/compliance/order-view';
import { detailText } from './detail-text';
import { html, type Html } from './html';
import { tOf } from './locale';
import { opt } from './page-parts';

/** A word from a catalogue group, or the raw value when the catalogue does not know it. */
export function wordOr(t: (k: string) => string, key: string, raw: string): string {
  const w = t(key);
  return w === key ? raw : w;
}

/** Every callback for the order, rejected forgeries included, with the ticket that matched. */
export function callbackEventsSection(req: Request, res: Response, v: OrderView): Html {
  const t = tOf(req, res);
  return html`<h2>${t('callbacks.orderSection')}</h2>
    ${
      v.callbackEvents.length === 0
        ? html`<p>${t('callbacks.none')}</p>`
        : html`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>${t('callbacks.at')}</th>
                  <th>${t('callbacks.channel')}</th>
                  <th>${t('callbacks.verdict')}</th>
                  <th>${t('callbacks.code')}</th>
                  <th>${t('callbacks.reason')}</th>
                  <th>${t('callbacks.ticket')}</th>
                  <th>${t('callbacks.clientIp')}</th>
                </tr>
              </thead>
              <tbody>
                ${v.callbackEvents.map(
                  (c) =>
                    html`<tr class="verdict-${c.verdict}">
                      <td class="nowrap">${when(c.createdAt)}</td>
                      <td>${wordOr(t, `callbacks.channels.${c.channel}`, c.channel)}</td>
                      <td>${wordOr(t, `callbacks.verdicts.${c.verdict}`, c.verdict)}</td>
                      <td>${opt(c.code)}</td>
                      <td>${opt(c.reason)}</td>
                      <td>${opt(c.ticketMatched)}</td>
                      <td>${opt(c.clientIp)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${eventCountsNote(t, v)}`;
}

/**
 * Forged callbacks cannot push the genuine ones off the page: every verified event is listed,
 * refused ones only the newest; this says how many of each verdict there are in all.
 */
function eventCountsNote(t: (k: string, o?: Record<string, unknown>) => string, v: OrderView): Html {
  const hidden = v.callbackEventSummary.filter((c) => c.shown < c.events || c.attempts > c.events);
  if (hidden.length === 0) return html``;
  return html`<p class="event-counts">
    ${t('callbacks.notAllListed')}
    ${hidden.map(
      (c) =>
        html`<span class="verdict-${c.verdict}"
          >${wordOr(t, `callbacks.verdicts.${c.verdict}`, c.verdict)}:
          ${t('callbacks.countLine', { events: c.events, attempts: c.attempts, shown: c.shown })}</span
        > `,
    )}
  </p>`;
}

/** The archive timeline: what the workers did with the order, in order, details as readable lines. */
export function timelineSection(req: Request, res: Response, v: OrderView): Html {
  const t = tOf(req, res);
  return html`<h2>${t('timeline.title')}</h2>
    ${
      v.timeline.length === 0
        ? html`<p>${t('timeline.none')}</p>`
        : html`<div class="scroll">
            <table id="timeline">
              <thead>
                <tr>
                  <th>${t('timeline.at')}</th>
                  <th>${t('timeline.event')}</th>
                  <th>${t('timeline.detail')}</th>
                </tr>
              </thead>
              <tbody>
                ${v.timeline.map(
                  (e) =>
                    html`<tr>
                      <td class="nowrap">${when(e.createdAt)}</td>
                      <td>${wordOr(t, `timeline.events.${e.type}`, e.type)}</td>
                      <td class="small">${detailText(e.detail, (k) => wordOr(t, `timeline.keys.${k}`, k))}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }`;
}
