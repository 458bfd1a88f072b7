import { roleAtLeast, type Role } from '../../src/shared/compliance/staff/roles';
import { addEndpoint } from '../../src/shared/partners/webhook-endpoints';
import { createApiToken } from '../../src/shared/compliance/staff/api-tokens';
import {
  auditRowsFor,
  call,
  createUser,
  login,
  seedOrder,
  startConsole,
  uid,
  type ConsoleHarness,
  type SeededOrder,
  type Session,
} from './harness';

/**
 * Every console route × anonymous / viewer / auditor / admin: the status the role gets, and
 * exactly one audit row for the request (found by a unique User-Agent), with the right action
 * and outcome.
 */
type Who = 'anonymous' | Role;

interface RouteCase {
  name: string;
  method: 'GET' | 'POST';
  min: Role;
  action: string;
  ok: number;
  page?: boolean;
  /** Builds the path (and body) for one call; may create a fresh target. */
  prepare: () => Promise<{ path: string; json?: unknown }>;
}

let h: ConsoleHarness;
let order: SeededOrder;
const sessions = {} as Record<Role, Session>;
const usernames = {} as Record<Role, string>;

beforeAll(async () => {
  h = await startConsole();
  order = await seedOrder(h, { status: 'EVIDENCE_MISSING' });
  for (const role of ['viewer', 'auditor', 'admin'] as const) {
    const user = await createUser(h, role);
    usernames[role] = user.username;
    sessions[role] = await login(h, user);
  }
});

afterAll(async () => {
  await h?.close();
});

const routes: RouteCase[] = [
  {
    name: 'search page',
    method: 'GET',
    min: 'viewer',
    action: 'search',
    ok: 200,
    page: true,
    prepare: async () => ({ path: `/?orderNo=${order.orderNo}` }),
  },
  {
    name: 'order page',
    method: 'GET',
    min: 'viewer',
    action: 'view',
    ok: 200,
    page: true,
    prepare: async () => ({ path: `/orders/${order.id}` }),
  },
  {
    name: 'audit page',
    method: 'GET',
    min: 'auditor',
    action: 'audit.search',
    ok: 200,
    page: true,
    prepare: async () => ({ path: '/audit' }),
  },
  {
    name: 'accounts page',
    method: 'GET',
    min: 'admin',
    action: 'user.list',
    ok: 200,
    page: true,
    prepare: async () => ({ path: '/accounts' }),
  },
  {
    name: 'at-risk page',
    method: 'GET',
    min: 'viewer',
    action: 'search',
    ok: 200,
    page: true,
    prepare: async () => ({ path: '/at-risk' }),
  },
  {
    name: 'search',
    method: 'GET',
    min: 'viewer',
    action: 'search',
    ok: 200,
    prepare: async () => ({ path: `/api/orders?orderNo=${order.orderNo}` }),
  },
  {
    name: 'orders at risk',
    method: 'GET',
    min: 'viewer',
    action: 'search',
    ok: 200,
    prepare: async () => ({ path: '/api/orders-at-risk' }),
  },
  {
    name: 'view',
    method: 'GET',
    min: 'viewer',
    action: 'view',
    ok: 200,
    prepare: async () => ({ path: `/api/orders/${order.id}` }),
  },
  {
    name: 'reveal',
    method: 'POST',
    min: 'auditor',
    action: 'reveal',
    ok: 200,
    prepare: async () => ({ path: `/api/orders/${order.id}/reveal`, json: { purpose: 'ticket CS-1001' } }),
  },
  {
    name: 'download photo',
    method: 'GET',
    min: 'viewer',
    action: 'download',
    ok: 200,
    prepare: async () => ({ path: `/api/orders/${order.id}/evidence/photo?download=1` }),
  },
  {
    // Looking at the photo on the order page is a view, not a download.
    name: 'view photo',
    method: 'GET',
    min: 'viewer',
    action: 'view',
    ok: 200,
    prepare: async () => ({ path: `/api/orders/${order.id}/evidence/photo` }),
  },
  {
    name: 'verify',
    method: 'POST',
    min: 'viewer',
    action: 'verify',
    ok: 200,
    prepare: async () => ({ path: `/api/orders/${order.id}/verify` }),
  },
  {
    name: 'export',
    method: 'POST',
    min: 'auditor',
    action: 'export',
    ok: 200,
    // The order is EVIDENCE_MISSING: its package is incomplete, so the export must be confirmed.
    prepare: async () => ({
      path: `/api/orders/${order.id}/export`,
      json: { acceptIncomplete: true, purpose: 'ticket CS-1842' },
    }),
  },
  {
    name: 'requeue',
    method: 'POST',
    min: 'admin',
    action: 'requeue',
    ok: 200,
    prepare: async () => ({ path: `/api/orders/${order.id}/requeue` }),
  },
  {
    name: 'audit search',
    method: 'GET',
    min: 'auditor',
    action: 'audit.search',
    ok: 200,
    prepare: async () => ({ path: `/api/audit?orderNo=${order.orderNo}` }),
  },
  {
    name: 'audit csv',
    method: 'GET',
    min: 'auditor',
    action: 'audit.export',
    ok: 200,
    prepare: async () => ({ path: `/api/audit.csv?orderNo=${order.orderNo}` }),
  },
  {
    name: 'list users',
    method: 'GET',
    min: 'admin',
    action: 'user.list',
    ok: 200,
    prepare: async () => ({ path: '/api/users' }),
  },
  {
    name: 'create user',
    method: 'POST',
    min: 'admin',
    action: 'user.create',
    ok: 201,
    prepare: async () => ({
      path: '/api/users',
      json: { username: uid('new-'), role: 'viewer', password: 'a-long-enough-password' },
    }),
  },
  {
    name: 'disable user',
    method: 'POST',
    min: 'admin',
    action: 'user.disable',
    ok: 200,
    prepare: async () => ({ path: `/api/users/${(await createUser(h, 'viewer')).username}/disable` }),
  },
  {
    name: 'list tokens',
    method: 'GET',
    min: 'admin',
    action: 'token.list',
    ok: 200,
    prepare: async () => ({ path: '/api/tokens' }),
  },
  {
    name: 'create token',
    method: 'POST',
    min: 'admin',
    action: 'token.create',
    ok: 201,
    prepare: async () => ({ path: '/api/tokens', json: { kind: 'partner', name: uid('partner-'), appKey: 'shop' } }),
  },
  {
    name: 'revoke token',
    method: 'POST',
    min: 'admin',
    action: 'token.revoke',
    ok: 200,
    prepare: async () => ({
      path: `/api/tokens/${(await createApiToken(h.db, h.cfg, { kind: 'partner', name: uid('t-') })).info.id}/revoke`,
    }),
  },
  {
    name: 'webhooks page',
    method: 'GET',
    min: 'admin',
    action: 'webhook.list',
    ok: 200,
    page: true,
    prepare: async () => ({ path: '/webhooks' }),
  },
  {
    name: 'add webhook endpoint',
    method: 'POST',
    min: 'admin',
    action: 'webhook.add',
    ok: 201,
    prepare: async () => ({
      path: '/api/webhooks',
      json: { url: `http://127.0.0.1:9/${uid('hook-')}`, appKey: 'default', allowPrivate: true },
    }),
  },
  {
    name: 'disable webhook endpoint',
    method: 'POST',
    min: 'admin',
    action: 'webhook.disable',
    ok: 200,
    prepare: async () => ({ path: `/api/webhooks/${await webhookEndpointId()}/disable` }),
  },
  {
    name: 'webhook delivery log',
    method: 'GET',
    min: 'admin',
    action: 'webhook.list',
    ok: 200,
    prepare: async () => ({ path: `/api/webhooks/${await webhookEndpointId()}/deliveries` }),
  },
];

/** A fresh endpoint (disabled at once: nothing is delivered to it) for the webhook routes. */
async function webhookEndpointId(): Promise<string> {
  const { endpoint } = await addEndpoint(
    h.db,
    h.cfg,
    { url: `http://127.0.0.1:9/${uid('hook-')}`, appKey: 'default', allowPrivate: true },
    { actor: 'cli:test' },
  );
  return endpoint.id;
}

const who: Who[] = ['anonymous', 'viewer', 'auditor', 'admin'];

describe.each(routes)('$method $name (needs $min)', (route) => {
  test.each(who)('as %s: the right status and exactly one audit row', async (w) => {
    const { path, json } = await route.prepare();
    const ua = uid('ua-');
    const res = await call(h, w === 'anonymous' ? undefined : sessions[w], route.method, path, {
      json,
      headers: {
        'user-agent': ua,
        ...(route.page ? { accept: 'text/html' } : {}),
        // Each anonymous refusal from its own address: repeats from one address fold (docs/security.md).
        ...(w === 'anonymous'
          ? {
              'x-forwarded-for': `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`,
            }
          : {}),
      },
    });
    await res.arrayBuffer();
    const allowed = w !== 'anonymous' && roleAtLeast(w, route.min);
    const expected = w === 'anonymous' ? (route.page ? 303 : 401) : allowed ? route.ok : 403;
    expect(res.status).toBe(expected);
    if (w === 'anonymous' && route.page) expect(res.headers.get('location')).toMatch(/\/console\/login\?next=/);

    const rows = await auditRowsFor(h, ua);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.action).toBe(route.action);
    expect(rows[0]!.outcome).toBe(allowed ? 'success' : 'denied');
    expect(rows[0]!.actor).toBe(w === 'anonymous' ? 'anonymous' : `user:${usernames[w]}`);
    if (w !== 'anonymous') expect(rows[0]!.actorRole).toBe(w);
    if (!allowed) expect(rows[0]!.detail).toMatchObject({ status: w === 'anonymous' ? 401 : 403 });
  });
});
