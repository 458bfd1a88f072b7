import type { Request, Response } from 'express';
import { when } from '../../shared/compliance/order-view';
import { PARTNER_EVENT_TYPES } from '../../shared/orders/partner-events';
import type { DeliveryLine } from '../../shared/partners/delivery-log';
import type { EndpointInfo } from '../../shared/partners/webhook-endpoints';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';
import { opt, pager } from './page-parts';

type T = ReturnType<typeof tOf>;

function endpointRow(t: T, base: string, e: EndpointInfo): Html {
  return html`<tr>
    <td class="mono small"><a href="${base}/webhooks/${e.id}">${e.url}</a></td>
    <td>${e.appKey ?? t('webhooks.allApps')}</td>
    <td class="small">${e.events.length ? e.events.join(', ') : t('webhooks.allEvents')}</td>
    <td>
      ${
        e.disabledAt
          ? html`<span class="bad">${t('webhooks.disabled')}</span> <span class="small">${opt(e.disabledReason)}</span>`
          : html`<span class="ok">${t('webhooks.enabled')}</span>`
      }
    </td>
    <td>${String(e.failureRun)}</td>
    <td>${when(e.createdAt)}</td>
    <td>
      ${
        e.disabledAt
          ? html`<button
              type="button"
              data-action="post"
              data-url="${base}/api/webhooks/${e.id}/enable"
              data-output="webhooks-result"
              data-reload="1"
            >
              ${t('webhooks.enable')}
            </button>`
          : html`<button
              type="button"
              data-action="post"
              data-url="${base}/api/webhooks/${e.id}/disable"
              data-confirm="${t('webhooks.disableConfirm')}"
              data-output="webhooks-result"
              data-reload="1"
            >
              ${t('webhooks.disable')}
            </button>`
      }
      <button
        type="button"
        data-action="secret"
        data-url="${base}/api/webhooks/${e.id}/rotate-secret"
        data-confirm="${t('webhooks.rotateConfirm')}"
        data-output="webhooks-result"
      >
        ${t('webhooks.rotate')}
      </button>
      <a href="${base}/webhooks/${e.id}">${t('webhooks.log')}</a>
    </td>
  </tr>`;
}

/** The endpoints page: those needing attention (disabled) first, then all, and the form adding one. */
export function webhooksPage(
  req: Request,
  res: Response,
  appKeys: readonly string[],
  endpoints: EndpointInfo[],
): string {
  const t = tOf(req, res);
  const base = baseOf(req);
  const attention = endpoints.filter((e) => e.disabledAt);
  const head = html`<thead>
    <tr>
      <th>${t('webhooks.urlHeader')}</th>
      <th>${t('webhooks.app')}</th>
      <th>${t('webhooks.events')}</th>
      <th>${t('webhooks.state')}</th>
      <th>${t('webhooks.failureRun')}</th>
      <th>${t('webhooks.createdAt')}</th>
      <th></th>
    </tr>
  </thead>`;
  return page(
    req,
    res,
    t('webhooks.title'),
    html`<h1>${t('webhooks.title')}</h1>
      <p class="hint">${t('webhooks.intro')}</p>
      <p><output id="webhooks-result" class="mono"></output></p>
      <h2>${t('webhooks.attention')}</h2>
      ${
        attention.length === 0
          ? html`<p id="webhooks-attention">${t('webhooks.noAttention')}</p>`
          : html`<div class="table-wrap">
              <table id="webhooks-attention">
                ${head}
                <tbody>
                  ${attention.map((e) => endpointRow(t, base, e))}
                </tbody>
              </table>
            </div>`
      }
      <h2>${t('webhooks.all')}</h2>
      <div class="table-wrap">
        <table id="webhooks">
          ${head}
          <tbody>
            ${endpoints.map((e) => endpointRow(t, base, e))}
          </tbody>
        </table>
      </div>
      <h2>${t('webhooks.add')}</h2>
      <form data-api="${base}/api/webhooks" data-output="webhook-secret" class="search">
        <label>${t('webhooks.url')} <input name="url" required size="50" /></label>
        <label
          >${t('webhooks.app')}
          <select name="appKey">
            <option value="">${t('webhooks.allApps')}</option>
            ${appKeys.map((k) => html`<option>${k}</option>`)}
          </select></label
        >
        <label
          >${t('webhooks.eventsHint')}
          <select name="events" multiple size="4">
            ${PARTNER_EVENT_TYPES.map((e) => html`<option>${e}</option>`)}
          </select></label
        >
        <label>${t('webhooks.description')} <input name="description" /></label>
        <label>${t('webhooks.concurrency')} <input name="concurrency" type="number" min="1" value="4" /></label>
        <label>${t('webhooks.rate')} <input name="ratePerSecond" type="number" min="1" value="10" /></label>
        <label><span>${t('webhooks.allowPrivate')}</span><input name="allowPrivate" type="checkbox" /></label>
        <button type="submit">${t('webhooks.submit')}</button>
      </form>
      <p><output id="webhook-secret" class="mono"></output></p>`,
  );
}

/** One endpoint's delivery log: status, attempts, last answer and latency, next retry; replay buttons. */
export function deliveryLogPage(
  req: Request,
  res: Response,
  { endpoint, rows, nextCursor }: { endpoint: EndpointInfo; rows: DeliveryLine[]; nextCursor?: string },
): string {
  const t = tOf(req, res);
  const base = baseOf(req);
  const status = (s: string) =>
    (['pending', 'delivered', 'failed', 'disabled'] as const).includes(s as 'pending')
      ? t(`webhooks.delivery.${s}`)
      : s;
  return page(
    req,
    res,
    t('webhooks.log'),
    html`<h1>${t('webhooks.log')}</h1>
      <p class="mono small">${endpoint.url}</p>
      <p>
        ${
          endpoint.disabledAt
            ? html`<span class="bad">${t('webhooks.disabledBecause', { reason: opt(endpoint.disabledReason) })}</span>`
            : html`<span class="ok">${t('webhooks.enabled')}</span>`
        }
      </p>
      <p><output id="deliveries-result" class="mono"></output></p>
      <form data-api="${base}/api/webhooks/${endpoint.id}/replay" data-output="deliveries-result" class="search">
        <label>${t('webhooks.from')} <input name="from" required /></label>
        <label>${t('webhooks.to')} <input name="to" required /></label>
        <button type="submit">${t('webhooks.replayRange')}</button>
      </form>
      <div class="table-wrap">
        <table class="results" id="deliveries">
          <thead>
            <tr>
              <th>${t('webhooks.at')}</th>
              <th>${t('webhooks.event')}</th>
              <th>${t('webhooks.orderNo')}</th>
              <th>${t('webhooks.state')}</th>
              <th>${t('webhooks.attempts')}</th>
              <th>${t('webhooks.lastAnswer')}</th>
              <th>${t('webhooks.latency')}</th>
              <th>${t('webhooks.nextRetry')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (d) =>
                html`<tr>
                  <td>${when(d.createdAt)}</td>
                  <td class="small"><span class="mono">${d.eventId}</span><br />${d.type}</td>
                  <td class="mono">${d.orderNo}</td>
                  <td class="delivery-${d.status}">${status(d.status)}</td>
                  <td>${String(d.attempts)}</td>
                  <td>${d.lastStatus !== null ? `HTTP ${d.lastStatus}` : opt(d.lastError)}</td>
                  <td>${d.lastLatencyMs === null ? '—' : String(d.lastLatencyMs)}</td>
                  <td>${d.nextAttemptAt ? when(d.nextAttemptAt) : '—'}</td>
                  <td>
                    <button
                      type="button"
                      data-action="post"
                      data-url="${base}/api/webhooks/${endpoint.id}/replay?eventId=${d.eventId}"
                      data-output="deliveries-result"
                      data-reload="1"
                    >
                      ${t('webhooks.replay')}
                    </button>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${pager(req, res, `/webhooks/${endpoint.id}`, { nextCursor })}`,
  );
}
