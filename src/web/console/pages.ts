import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, recordAudit, searchAudit } from '../../shared/compliance/audit';
import { listStaffUsers } from '../../shared/compliance/staff/accounts';
import { orderSearchSchema, searchOrders, type OrderSearch } from '../../shared/compliance/order-search';
import { loadOrderRecord, orderRef } from '../../shared/compliance/order-record';
import { roleAtLeast } from '../../shared/compliance/staff/roles';
import { orderIdParam } from '../../shared/platform/uuid';
import { ordersAtRisk } from '../../shared/compliance/orders-at-risk';
import { OrderStatus } from '../../generated/prisma/client';
import { issueLoginCsrf, loginCsrfOk } from '../auth/csrf';
import { login } from '../auth/login';
import { requestContext } from '../auth/principal';
import { endSession } from '../auth/sessions';
import { listApiTokens } from '../../shared/compliance/staff/api-tokens';
import { audit, audited, staffOf, type RouteDeps } from './deps';
import { html, type Html } from './html';
import { baseOf, page, sendPage } from './layout';
import { auditSearchSchema } from './schemas';
import { parseInput } from './validate';
import { humanBytes, orderView, when, type OrderView } from '../../shared/compliance/order-view';

const loginForm = z.object({
  username: z.string().max(200).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
  _csrf: z.string().optional(),
});

/** Only a path inside the console may be a post-login destination (no open redirect). */
function safeNext(req: Request, next: string | undefined): string {
  const base = baseOf(req);
  if (next && next.startsWith(`${base}/`) && !next.startsWith('//') && !/[\\\s]/.test(next)) return next;
  return `${base}/`;
}

function loginPage(
  req: Request,
  res: Response,
  csrf: string,
  opts: { next?: string; error?: string; username?: string },
): string {
  const base = baseOf(req);
  return page(
    req,
    res,
    'Log in',
    html` <section class="login">
      <h1>Log in</h1>
      ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
      <form method="post" action="${base}/login">
        <input type="hidden" name="_csrf" value="${csrf}" />
        <input type="hidden" name="next" value="${opts.next ?? ''}" />
        <label
          >Username <input name="username" autocomplete="username" required value="${opts.username ?? ''}" autofocus
        /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit">Log in</button>
      </form>
    </section>`,
  );
}

const opt = (v: string | null | undefined) => v ?? '—';

function searchForm(req: Request, f: Record<string, unknown>, apps: readonly { key: string }[]): Html {
  const base = baseOf(req);
  const val = (k: string) => (typeof f[k] === 'string' ? f[k] : '');
  return html` <form method="get" action="${base}/" class="search" id="search-form">
    <label>Order no <input name="orderNo" value="${val('orderNo')}" maxlength="64" /></label>
    <label
      >App
      <select name="app">
        <option value="">any</option>
        ${apps.map((a) => html`<option value="${a.key}" ${val('app') === a.key ? html`selected` : ''}>${a.key}</option>`)}
      </select></label
    >
    <label
      >Status
      <select name="status">
        <option value="">any</option>
        ${Object.values(OrderStatus).map((s) => html`<option ${val('status') === s ? html`selected` : ''}>${s}</option>`)}
      </select></label
    >
    <label>Result code <input name="resultCode" value="${val('resultCode')}" maxlength="32" /></label>
    <label>From <input name="from" type="date" value="${val('from')}" /></label>
    <label>To <input name="to" type="date" value="${val('to')}" /></label>
    <button type="submit">Search</button>
  </form>`;
}

function rawQuery(req: Request): Record<string, unknown> {
  return req.query;
}

function nextLink(req: Request, path: string, cursor: string | undefined): Html | string {
  if (!cursor) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(rawQuery(req)))
    if (typeof v === 'string' && v !== '' && k !== 'cursor') params.set(k, v);
  params.set('cursor', cursor);
  return html`<p><a class="next" href="${baseOf(req)}${path}?${params.toString()}">Next page →</a></p>`;
}

function searchFilters(f: OrderSearch): Record<string, unknown> {
  return {
    orderNo: f.orderNo,
    app: f.app,
    status: f.status,
    resultCode: f.resultCode,
    from: f.from?.toISOString(),
    to: f.to?.toISOString(),
    page: f.cursor ? 'next' : 'first',
  };
}

function dl(rows: [string, unknown][]): Html {
  return html`<dl>
    ${rows.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v === null || v === undefined || v === '' ? '—' : v}</dd>`,
    )}
  </dl>`;
}

function orderPage(req: Request, res: Response, v: OrderView): string {
  const base = baseOf(req);
  const staff = staffOf(res);
  const api = `${base}/api/orders/${v.id}`;
  const canReveal = roleAtLeast(staff.role, 'auditor') && v.piiStored;
  const evidenceUrl = (kind: string) => `${api}/evidence/${encodeURIComponent(kind)}`;
  return page(
    req,
    res,
    `Order ${v.orderNo}`,
    html`
      <h1>Order <span class="mono">${v.orderNo}</span> <span class="status status-${v.status}">${v.status}</span></h1>
      <section class="cols">
        <div>
          <h2>Verification result</h2>
          ${dl([
            ['App', `${v.appKey} (${v.appId})`],
            ['Product', v.product],
            ['Source', v.source],
            ['Result code', v.resultCode],
            ['Result message', v.resultMsg],
            ['Callback code', v.callbackCode],
            ['Live rate', v.liveRate],
            ['Similarity', v.similarity],
            ['Occurred time', v.occurredTime],
            ['bizSeqNo', v.bizSeqNo],
            ['h5faceId', v.h5faceId],
            ['Verified at', when(v.verifiedAt)],
            ['Archived at', when(v.archivedAt)],
            ['Recorded at', when(v.createdAt)],
            ['Archive attempts', v.archiveAttempts],
            ['Last error', v.lastError],
          ])}
        </div>
        <div>
          <h2>Person</h2>
          <dl>
            <dt>ID type</dt>
            <dd>${opt(v.idType)}</dd>
            <dt>ID number</dt>
            <dd id="pii-idno" class="mono">${opt(v.idNo)}</dd>
            <dt>Name</dt>
            <dd id="pii-name">${opt(v.name)}</dd>
          </dl>
          ${
            canReveal
              ? html`<button type="button" data-action="reveal" data-url="${api}/reveal" data-output="reveal-result">
                    Reveal ID number and name
                  </button>
                  <output id="reveal-result"></output>
                  <p class="hint">Revealing is recorded in the audit trail.</p>`
              : v.piiStored
                ? html`<p class="hint">Masked. Auditors and admins can reveal.</p>`
                : html`<p class="hint">Not stored (PII_STORAGE=drop or not returned).</p>`
          }
          <h2>Actions</h2>
          <p>
            <button type="button" data-action="verify" data-url="${api}/verify" data-output="verify-result">
              Verify integrity
            </button>
            <output id="verify-result"></output>
          </p>
          ${
            roleAtLeast(staff.role, 'auditor')
              ? html`<form method="post" action="${api}/export" class="inline" id="export-form">
                  <input type="hidden" name="_csrf" value="${staff.csrfToken ?? ''}" /><button type="submit">
                    Export evidence package
                  </button>
                </form>`
              : ''
          }
          ${
            roleAtLeast(staff.role, 'admin')
              ? html` <button
                    type="button"
                    data-action="requeue"
                    data-url="${api}/requeue"
                    data-output="requeue-result"
                    data-confirm="Re-queue this order for archiving?"
                  >
                    Re-queue for archiving
                  </button>
                  <output id="requeue-result"></output>`
              : ''
          }
        </div>
      </section>

      <h2>Evidence</h2>
      ${
        v.evidence.length === 0
          ? html`<p>No evidence stored.</p>`
          : html` <table class="evidence">
                <thead>
                  <tr>
                    <th>Kind</th>
                    <th>Type</th>
                    <th>Size</th>
                    <th>SHA-256</th>
                    <th>Stored</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${v.evidence.map(
                    (e) =>
                      html` <tr data-kind="${e.kind}">
                        <td>${e.kind}</td>
                        <td>${e.contentType}</td>
                        <td title="${e.bytes} bytes">${humanBytes(e.bytes)}</td>
                        <td class="mono hash">${e.sha256}</td>
                        <td>${when(e.storedAt)}</td>
                        <td><a href="${evidenceUrl(e.kind)}?download=1">Download</a></td>
                      </tr>`,
                  )}
                </tbody>
              </table>
              <div class="media">
                ${v.evidence
                  .filter((e) => e.display === 'image')
                  .map(
                    (e) =>
                      html`<figure>
                        <img id="evidence-${e.kind}" src="${evidenceUrl(e.kind)}" alt="${e.kind}" />
                        <figcaption>${e.kind}</figcaption>
                      </figure>`,
                  )}
                ${v.evidence
                  .filter((e) => e.display === 'video')
                  .map(
                    (e) =>
                      html`<figure>
                        <video id="evidence-${e.kind}" controls preload="metadata" src="${evidenceUrl(e.kind)}"></video>
                        <figcaption>${e.kind}</figcaption>
                      </figure>`,
                  )}
              </div>`
      }

      <h2>Callback events</h2>
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

      <h2>Archive timeline</h2>
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
      }
    `,
  );
}

const auditPageSchema = auditSearchSchema;

/** Server-rendered pages: login, order search, order, audit trail, accounts. */
export function pageRoutes(deps: RouteDeps): Router {
  const { db, cfg, auth } = deps;
  const r = Router();

  r.get('/login', async (req, res) => {
    const staff = await auth.resolveStaff(req);
    const next = typeof req.query.next === 'string' ? req.query.next : undefined;
    if (staff) {
      res.redirect(303, safeNext(req, next));
      return;
    }
    sendPage(res, 200, loginPage(req, res, issueLoginCsrf(req, res, cfg), { next }));
  });

  r.post('/login', async (req, res) => {
    const form = parseInput(loginForm, req.body, 'login form');
    const csrf = issueLoginCsrf(req, res, cfg);
    if (!loginCsrfOk(req)) {
      await recordAudit(db, {
        actor: 'anonymous',
        action: 'login',
        outcome: 'denied',
        ...requestContext(req),
        detail: { reason: 'csrf' },
      });
      sendPage(
        res,
        403,
        loginPage(req, res, csrf, { next: form.next, error: 'Your login form expired; please try again.' }),
      );
      return;
    }
    const result = await login(deps, req, res, { username: form.username, password: form.password });
    if (result.ok) {
      res.redirect(303, safeNext(req, form.next));
      return;
    }
    if (result.retryAfterSeconds) res.set('Retry-After', String(result.retryAfterSeconds));
    const error = result.status === 429 ? 'Too many failed logins. Try again later.' : 'Invalid username or password.';
    sendPage(
      res,
      result.status,
      loginPage(req, res, csrf, { next: form.next, error, username: form.username.slice(0, 64) }),
    );
  });

  r.post(
    '/logout',
    auth.requireStaff('viewer', { action: 'logout' }),
    audited(deps, 'logout', async (req, res) => {
      await endSession(db, cfg, req, res);
      await audit(deps, req, res, { action: 'logout', outcome: 'success' });
      res.redirect(303, `${baseOf(req)}/login`);
    }),
  );

  r.get(
    '/',
    auth.requireStaff('viewer', { page: true, action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      const q = rawQuery(req);
      const parsed = orderSearchSchema.safeParse(q);
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        await audit(deps, req, res, {
          action: 'search',
          outcome: 'failure',
          detail: { status: 400, error: 'bad_request' },
        });
        sendPage(
          res,
          400,
          page(
            req,
            res,
            'Orders',
            html`<h1>Orders</h1>
              ${searchForm(req, q, cfg.apps)}
              <p class="error" role="alert">Invalid search: ${message}</p>`,
          ),
        );
        return;
      }
      const result = await searchOrders(db, cfg, parsed.data);
      await audit(deps, req, res, {
        action: 'search',
        outcome: 'success',
        detail: { filters: searchFilters(parsed.data), results: result.rows.length },
      });
      const base = baseOf(req);
      sendPage(
        res,
        200,
        page(
          req,
          res,
          'Orders',
          html` <h1>Orders</h1>
            ${searchForm(req, q, cfg.apps)}
            ${
              result.rows.length === 0
                ? html`<p>No orders match.</p>`
                : html` <table class="results">
                    <thead>
                      <tr>
                        <th>Order no</th>
                        <th>App</th>
                        <th>Product</th>
                        <th>Status</th>
                        <th>Result</th>
                        <th>Recorded</th>
                        <th>Archived</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${result.rows.map(
                        (o) =>
                          html`<tr>
                            <td><a class="order-link mono" href="${base}/orders/${o.id}">${o.orderNo}</a></td>
                            <td>${o.appKey}</td>
                            <td>${o.product}</td>
                            <td><span class="status status-${o.status}">${o.status}</span></td>
                            <td>${opt(o.resultCode)}</td>
                            <td>${when(o.createdAt)}</td>
                            <td>${when(o.archivedAt)}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>`
            }
            ${nextLink(req, '/', result.nextCursor)}`,
        ),
      );
    }),
  );

  r.get(
    '/at-risk',
    auth.requireStaff('viewer', { page: true, action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      const { orders, registered } = await ordersAtRisk(db, cfg);
      await audit(deps, req, res, {
        action: 'search',
        outcome: 'success',
        detail: { view: 'at-risk', results: orders.length },
      });
      const base = baseOf(req);
      sendPage(
        res,
        200,
        page(
          req,
          res,
          'At risk',
          html` <h1>Orders at risk</h1>
            <p>
              Orders without archived evidence whose WeBank window (${cfg.RECOVERY_WINDOW_HOURS} h) closes within 24 h.
              Registered orders: <span id="count-expected">${registered.expected}</span> expected,
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
        ),
      );
    }),
  );

  r.get(
    '/orders/:id',
    auth.requireStaff('viewer', { page: true, action: 'view' }),
    audited(deps, 'view', async (req, res) => {
      const record = await loadOrderRecord(db, orderIdParam(req.params.id as string));
      res.locals.auditOrder = orderRef(record);
      await audit(deps, req, res, { action: 'view', outcome: 'success', order: orderRef(record) });
      sendPage(res, 200, orderPage(req, res, orderView(cfg, record)));
    }),
  );

  r.get(
    '/audit',
    auth.requireStaff('auditor', { page: true, action: 'audit.search' }),
    audited(deps, 'audit.search', async (req, res) => {
      const q = rawQuery(req);
      const f = parseInput(auditPageSchema, q, 'audit filter');
      const result = await searchAudit(db, f);
      await audit(deps, req, res, {
        action: 'audit.search',
        outcome: 'success',
        detail: {
          filters: { ...f, from: f.from?.toISOString(), to: f.to?.toISOString(), cursor: undefined },
          results: result.rows.length,
        },
      });
      const base = baseOf(req);
      const val = (k: string) => (typeof q[k] === 'string' ? q[k] : '');
      const csvParams = new URLSearchParams();
      for (const k of ['actor', 'action', 'outcome', 'orderNo', 'from', 'to']) if (val(k)) csvParams.set(k, val(k));
      sendPage(
        res,
        200,
        page(
          req,
          res,
          'Audit trail',
          html` <h1>Audit trail</h1>
            <form method="get" action="${base}/audit" class="search">
              <label>Actor <input name="actor" value="${val('actor')}" placeholder="alice or cli:root" /></label>
              <label
                >Action
                <select name="action">
                  <option value="">any</option>
                  ${AUDIT_ACTIONS.map((a) => html`<option ${val('action') === a ? html`selected` : ''}>${a}</option>`)}
                </select></label
              >
              <label
                >Outcome
                <select name="outcome">
                  <option value="">any</option>
                  ${AUDIT_OUTCOMES.map((a) => html`<option ${val('outcome') === a ? html`selected` : ''}>${a}</option>`)}
                </select></label
              >
              <label>Order no <input name="orderNo" value="${val('orderNo')}" /></label>
              <label>From <input name="from" type="date" value="${val('from')}" /></label>
              <label>To <input name="to" type="date" value="${val('to')}" /></label>
              <button type="submit">Filter</button>
              <a href="${base}/api/audit.csv?${csvParams.toString()}" id="audit-csv">Download CSV</a>
            </form>
            <table class="audit">
              <thead>
                <tr>
                  <th>At</th>
                  <th>Actor</th>
                  <th>Role</th>
                  <th>Action</th>
                  <th>Outcome</th>
                  <th>Order</th>
                  <th>Target</th>
                  <th>IP</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>
                ${result.rows.map(
                  (a) =>
                    html`<tr class="outcome-${a.outcome}">
                      <td>${when(a.at)}</td>
                      <td>${a.actor}</td>
                      <td>${opt(a.actorRole)}</td>
                      <td>${a.action}</td>
                      <td>${a.outcome}</td>
                      <td>
                        ${a.orderId ? html`<a href="${base}/orders/${a.orderId}">${a.orderNo}</a>` : opt(a.orderNo)}
                      </td>
                      <td class="small">${opt(a.target)}</td>
                      <td>${opt(a.ip)}</td>
                      <td class="mono small">${a.detail === null ? '' : JSON.stringify(a.detail)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${nextLink(req, '/audit', result.nextCursor)}`,
        ),
      );
    }),
  );

  r.get(
    '/accounts',
    auth.requireStaff('admin', { page: true, action: 'user.list' }),
    audited(deps, 'user.list', async (req, res) => {
      const [users, tokens] = await Promise.all([listStaffUsers(db), listApiTokens(db)]);
      await audit(deps, req, res, {
        action: 'user.list',
        outcome: 'success',
        detail: { users: users.length, tokens: tokens.length },
      });
      const base = baseOf(req);
      const nameOf = new Map(users.map((u) => [u.id, u.username]));
      sendPage(
        res,
        200,
        page(
          req,
          res,
          'Accounts',
          html` <h1>Accounts</h1>
            <table>
              <thead>
                <tr>
                  <th>Username</th>
                  <th>Role</th>
                  <th>Created</th>
                  <th>Status</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${users.map(
                  (u) =>
                    html`<tr>
                      <td>${u.username}</td>
                      <td>${u.role}</td>
                      <td>${when(u.createdAt)}</td>
                      <td>${u.disabledAt ? `disabled ${when(u.disabledAt)}` : 'active'}</td>
                      <td>
                        ${u.disabledAt ? '' : html`<button type="button" data-action="post" data-url="${base}/api/users/${u.username}/disable" data-confirm="Disable ${u.username}?" data-output="accounts-result" data-reload="1">Disable</button>`}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <h2>Add a user</h2>
            <form data-api="${base}/api/users" data-output="accounts-result" data-reload="1" class="search">
              <label>Username <input name="username" required /></label>
              <label
                >Role
                <select name="role">
                  <option>viewer</option>
                  <option>auditor</option>
                  <option>admin</option>
                </select></label
              >
              <label
                >Password <input name="password" type="password" required minlength="12" autocomplete="new-password"
              /></label>
              <button type="submit">Add</button>
            </form>
            <h2>API tokens</h2>
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Kind</th>
                  <th>Acts as / app</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Status</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${tokens.map(
                  (t) =>
                    html`<tr>
                      <td>${t.name}</td>
                      <td>${t.kind}</td>
                      <td>
                        ${t.kind === 'staff' ? (nameOf.get(t.staffUserId ?? '') ?? '?') : (t.appKey ?? 'all apps')}
                      </td>
                      <td>${when(t.createdAt)}</td>
                      <td>${when(t.lastUsedAt)}</td>
                      <td>${t.revokedAt ? 'revoked' : 'active'}</td>
                      <td>
                        ${t.revokedAt ? '' : html`<button type="button" data-action="post" data-url="${base}/api/tokens/${t.id}/revoke" data-confirm="Revoke ${t.name}?" data-output="accounts-result" data-reload="1">Revoke</button>`}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <h2>Create a token</h2>
            <form data-api="${base}/api/tokens" data-output="token-result" class="search">
              <label>Name <input name="name" required /></label>
              <label
                >Kind
                <select name="kind">
                  <option>partner</option>
                  <option>staff</option>
                </select></label
              >
              <label>Staff user (staff tokens) <input name="username" /></label>
              <label>App key (partner tokens, empty = all) <input name="appKey" /></label>
              <button type="submit">Create</button>
            </form>
            <p><output id="token-result" class="mono"></output></p>
            <p><output id="accounts-result"></output></p>`,
        ),
      );
    }),
  );

  return r;
}
