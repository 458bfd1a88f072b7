import type { Request, Response } from 'express';
import { when } from '../../shared/compliance/order-view';
import { PARTNER_EVENT_TYPES } from '../../shared/orders/partner-events';
import type { DeliveryLine } from '../../shared/partners/delivery-log';
import type { EndpointInfo } from '../../shared/partners/webhook-endpoints';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { nextLink, opt } from './page-parts';

/** Delivery states in words (Chinese first; the i18next catalogue takes these over when it lands). */
const DELIVERY_STATUS: Record<string, string> = {
  pending: '待投递 (pending)',
  delivered: '已送达 (delivered)',
  failed: '已放弃 (gave up)',
  disabled: '端点已停用 (endpoint disabled)',
};

function endpointRow(base: string, e: EndpointInfo): Html {
  return html`<tr>
    <td class="mono small"><a href="${base}/webhooks/${e.id}">${e.url}</a></td>
    <td>${e.appKey ?? '全部应用'}</td>
    <td class="small">${e.events.length ? e.events.join(', ') : '全部事件'}</td>
    <td>
      ${e.disabledAt ? html`<span class="bad">已停用</span> <span class="small">${opt(e.disabledReason)}</span>` : html`<span class="ok">启用</span>`}
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
              启用
            </button>`
          : html`<button
              type="button"
              data-action="post"
              data-url="${base}/api/webhooks/${e.id}/disable"
              data-confirm="停用此端点？待投递的事件将等待重新启用。"
              data-output="webhooks-result"
              data-reload="1"
            >
              停用
            </button>`
      }
      <button
        type="button"
        data-action="secret"
        data-url="${base}/api/webhooks/${e.id}/rotate-secret"
        data-confirm="轮换签名密钥？旧密钥在过渡期内仍然有效。"
        data-output="webhooks-result"
      >
        轮换密钥
      </button>
      <a href="${base}/webhooks/${e.id}">投递记录</a>
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
  const base = baseOf(req);
  const attention = endpoints.filter((e) => e.disabledAt);
  const head = html`<thead>
    <tr>
      <th>地址 (URL)</th>
      <th>应用</th>
      <th>事件</th>
      <th>状态</th>
      <th>连续失败</th>
      <th>创建时间</th>
      <th></th>
    </tr>
  </thead>`;
  return page(
    req,
    res,
    'Webhooks',
    html`<h1>合作方 Webhook 端点</h1>
      <p class="hint">
        每个结果事件按 Standard Webhooks 签名（webhook-id / webhook-timestamp /
        webhook-signature），失败后按指数退避重试至少 3 天； 收到 410
        或连续失败过多时端点自动停用，待投递的事件等待重新启用。
      </p>
      <p><output id="webhooks-result" class="mono"></output></p>
      <h2>需要处理 (needs attention)</h2>
      ${
        attention.length === 0
          ? html`<p id="webhooks-attention">没有停用的端点。</p>`
          : html`<table id="webhooks-attention">
              ${head}
              <tbody>
                ${attention.map((e) => endpointRow(base, e))}
              </tbody>
            </table>`
      }
      <h2>全部端点</h2>
      <table id="webhooks">
        ${head}
        <tbody>
          ${endpoints.map((e) => endpointRow(base, e))}
        </tbody>
      </table>
      <h2>添加端点</h2>
      <form data-api="${base}/api/webhooks" data-output="webhook-secret" class="search">
        <label>地址 (https://…) <input name="url" required size="50" /></label>
        <label
          >应用
          <select name="appKey">
            <option value="">全部应用</option>
            ${appKeys.map((k) => html`<option>${k}</option>`)}
          </select></label
        >
        <label
          >事件（不选 = 全部）
          <select name="events" multiple size="4">
            ${PARTNER_EVENT_TYPES.map((t) => html`<option>${t}</option>`)}
          </select></label
        >
        <label>说明 <input name="description" /></label>
        <label>并发 <input name="concurrency" type="number" min="1" value="4" /></label>
        <label>每秒上限 <input name="ratePerSecond" type="number" min="1" value="10" /></label>
        <label><span>允许内网/本机地址</span><input name="allowPrivate" type="checkbox" /></label>
        <button type="submit">添加</button>
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
  const base = baseOf(req);
  return page(
    req,
    res,
    'Webhook deliveries',
    html`<h1>投递记录</h1>
      <p class="mono small">${endpoint.url}</p>
      <p>
        ${endpoint.disabledAt ? html`<span class="bad">已停用：${opt(endpoint.disabledReason)}</span>` : html`<span class="ok">启用</span>`}
      </p>
      <p><output id="deliveries-result" class="mono"></output></p>
      <form data-api="${base}/api/webhooks/${endpoint.id}/replay" data-output="deliveries-result" class="search">
        <label>从 (YYYY-MM-DD 或 ISO 时间) <input name="from" required /></label>
        <label>到 <input name="to" required /></label>
        <button type="submit">重放该时间段的事件</button>
      </form>
      <table class="results" id="deliveries">
        <thead>
          <tr>
            <th>时间</th>
            <th>事件</th>
            <th>订单号</th>
            <th>状态</th>
            <th>尝试次数</th>
            <th>最近应答</th>
            <th>耗时 (ms)</th>
            <th>下次重试</th>
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
                <td class="delivery-${d.status}">${DELIVERY_STATUS[d.status] ?? d.status}</td>
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
                    重放
                  </button>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${nextLink(req, `/webhooks/${endpoint.id}`, nextCursor)}`,
  );
}
