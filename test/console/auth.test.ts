import type { Server } from 'node:http';
import express from 'express';
import { createAuth, partnerMayUseApp } from '../../src/web/auth/middleware';
import { createApiToken, revokeApiToken } from '../../src/shared/compliance/staff/api-tokens';
import { jsonErrorHandler } from '../../src/web/http-errors';
import {
  auditRowsFor,
  call,
  createUser,
  fakeIp,
  login,
  seedOrder,
  startConsole,
  uid,
  type ConsoleHarness,
  type SeededOrder,
  type TestUser,
} from './harness';

let h: ConsoleHarness;
let order: SeededOrder;

beforeAll(async () => {
  h = await startConsole({ CONSOLE_LOGIN_MAX_FAILURES_PER_USER: '3', CONSOLE_LOGIN_MAX_FAILURES_PER_IP: '5' });
  order = await seedOrder(h);
});

afterAll(async () => {
  await h?.close();
});

function apiLogin(user: { username: string; password: string }, ip: string, ua = uid('ua-')) {
  return fetch(`${h.base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, 'user-agent': ua },
    body: JSON.stringify({ username: user.username, password: user.password }),
  });
}

/** The login page's double-submit token and cookie. */
async function loginForm(ip: string) {
  const res = await fetch(`${h.base}/login`, { headers: { 'x-forwarded-for': ip } });
  const html = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c?.startsWith('fa_login_csrf='));
  return { token: token!, cookie: cookie! };
}

describe('login', () => {
  test('when the form is posted with its token, then a Strict, httpOnly session cookie is set and one success row is audited', async () => {
    const user = await createUser(h, 'viewer');
    const ip = fakeIp();
    const form = await loginForm(ip);
    const ua = uid('ua-');
    const res = await fetch(`${h.base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: form.cookie,
        'x-forwarded-for': ip,
        'user-agent': ua,
      },
      body: new URLSearchParams({
        username: user.username,
        password: user.password,
        _csrf: form.token,
        next: '/console/audit',
      }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/audit');
    const session = res.headers.getSetCookie().find((c) => c.startsWith('fa_console='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Path=\//);
    const rows = await auditRowsFor(h, ua);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'login',
      outcome: 'success',
      actor: `user:${user.username}`,
      actorRole: 'viewer',
      ip,
    });
    // the database keeps only a hash of the session id
    const id = session.split(';')[0]!.split('=')[1]!;
    expect(await h.db.staffSession.findFirst({ where: { idHash: id } })).toBeNull();
  });

  test('when the form is posted without its token, then 403 and one denied row', async () => {
    const user = await createUser(h, 'viewer');
    const ua = uid('ua-');
    const res = await fetch(`${h.base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': fakeIp(), 'user-agent': ua },
      body: new URLSearchParams({ username: user.username, password: user.password }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('fa_console='))).toBe(false);
    expect((await auditRowsFor(h, ua)).map((r) => [r.action, r.outcome])).toEqual([['login', 'denied']]);
  });

  test('when next points off-site, then the login lands on the console instead', async () => {
    const user = await createUser(h, 'viewer');
    const ip = fakeIp();
    const form = await loginForm(ip);
    for (const next of ['https://evil.example/', '//evil.example/', '/console/../x\\y']) {
      const res = await fetch(`${h.base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, 'x-forwarded-for': ip },
        body: new URLSearchParams({
          username: user.username,
          password: user.password,
          _csrf: form.token,
          next,
        }).toString(),
      });
      expect(res.headers.get('location')).toBe('/console/');
    }
  });

  test('when the password is wrong, then 401 with a generic message and one failure row naming the account', async () => {
    const user = await createUser(h, 'viewer');
    const ua = uid('ua-');
    const res = await apiLogin({ username: user.username, password: 'wrong-password-123' }, fakeIp(), ua);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'unauthorized', message: 'invalid username or password' });
    const rows = await auditRowsFor(h, ua);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'login',
      outcome: 'failure',
      target: `user:${user.username}`,
      detail: { reason: 'bad_password' },
    });
  });

  test('when the username is unknown, then what was typed is not recorded (it may be a password)', async () => {
    const typed = uid('Secret-Pa55-');
    const ua = uid('ua-');
    expect((await apiLogin({ username: typed, password: 'whatever-else' }, fakeIp(), ua)).status).toBe(401);
    const rows = await auditRowsFor(h, ua);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.target).toBeNull();
    expect(JSON.stringify({ ...rows[0], id: String(rows[0]!.id) })).not.toContain(typed.toLowerCase());
  });
});

describe('login rate limit (3 failures per user, 5 per IP in this file)', () => {
  test('when a username has failed 3 times from different IPs, then even the right password gets 429 with Retry-After', async () => {
    const user = await createUser(h, 'viewer');
    for (let i = 0; i < 3; i++)
      expect((await apiLogin({ ...user, password: 'wrong-password-123' }, fakeIp())).status).toBe(401);
    const ua = uid('ua-');
    const res = await apiLogin(user, fakeIp(), ua);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(String(15 * 60));
    const rows = await auditRowsFor(h, ua);
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([['login', 'denied']]);
    expect(rows[0]!.detail).toMatchObject({ reason: 'rate_limited', scope: 'username' });
  });

  test('when a login succeeds, then earlier failures of that user no longer count', async () => {
    const user = await createUser(h, 'viewer');
    for (let i = 0; i < 2; i++)
      expect((await apiLogin({ ...user, password: 'wrong-password-123' }, fakeIp())).status).toBe(401);
    expect((await apiLogin(user, fakeIp())).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await apiLogin({ ...user, password: 'wrong-password-123' }, fakeIp())).status).toBe(401);
    expect((await apiLogin(user, fakeIp())).status).toBe(429);
  });

  test('when one IP fails 5 times over many usernames, then its next attempt gets 429', async () => {
    const ip = fakeIp();
    for (let i = 0; i < 5; i++)
      expect((await apiLogin({ username: uid('nobody-'), password: 'x-password-x' }, ip)).status).toBe(401);
    const user = await createUser(h, 'viewer');
    expect((await apiLogin(user, ip)).status).toBe(429);
    expect((await apiLogin(user, fakeIp())).status).toBe(200);
  });

  test('when failures are spread over two web replicas, then the limit still holds (it lives in PostgreSQL)', async () => {
    const other = await startConsole({
      CONSOLE_LOGIN_MAX_FAILURES_PER_USER: '3',
      CONSOLE_LOGIN_MAX_FAILURES_PER_IP: '5',
    });
    try {
      const user = await createUser(h, 'viewer');
      const bad = { ...user, password: 'wrong-password-123' };
      const at = (base: string) =>
        fetch(`${base}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': fakeIp() },
          body: JSON.stringify(bad),
        });
      expect((await at(h.base)).status).toBe(401);
      expect((await at(other.base)).status).toBe(401);
      expect((await at(h.base)).status).toBe(401);
      expect((await at(other.base)).status).toBe(429);
    } finally {
      await other.close();
    }
  });
});

describe('CSRF', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await createUser(h, 'admin');
  });

  test('when a session request changes state without the token, then 403 csrf and one denied row', async () => {
    const s = await login(h, user);
    for (const headers of [{}, { 'x-csrf-token': 'forged' }] as Record<string, string>[]) {
      const ua = uid('ua-');
      const res = await call(h, s, 'POST', `/api/orders/${order.id}/verify`, {
        csrf: false,
        headers: { ...headers, 'user-agent': ua },
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe('csrf');
      const rows = await auditRowsFor(h, ua);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'verify', outcome: 'denied', detail: { reason: 'csrf', status: 403 } });
    }
    expect(await h.db.orderEvent.count({ where: { orderId: order.id, type: { startsWith: 'integrity' } } })).toBe(0);
  });

  test('when the token comes as a form field, then the request passes', async () => {
    const s = await login(h, user);
    const res = await fetch(`${h.base}/api/orders/${order.id}/verify`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ _csrf: s.csrf }).toString(),
    });
    expect(res.status).toBe(200);
  });

  test('when a staff API token is used, then no CSRF token is needed (no ambient credential)', async () => {
    const { token } = await createApiToken(h.db, h.cfg, {
      kind: 'staff',
      name: 'ci',
      staffUserId: (await h.db.staffUser.findUniqueOrThrow({ where: { username: user.username } })).id,
    });
    const res = await call(h, { bearer: token }, 'POST', `/api/orders/${order.id}/verify`);
    expect(res.status).toBe(200);
  });
});

describe('sessions and tokens', () => {
  // issue 15 item 12: an admin minted a token for another user, whose actions were then audited as
  // that user; and staff tokens never expired.
  test('when an admin asks the console for a staff token for someone else, then 403 and no token', async () => {
    const admin = await createUser(h, 'admin');
    const s = await login(h, admin);
    const victim = await createUser(h, 'auditor');
    const ua = uid('ua-');
    const res = await call(h, s, 'POST', '/api/tokens', {
      json: { kind: 'staff', name: 'impersonate', username: victim.username },
      headers: { 'user-agent': ua },
    });
    expect(res.status).toBe(403);
    const victimId = (await h.db.staffUser.findUniqueOrThrow({ where: { username: victim.username } })).id;
    expect(await h.db.apiToken.count({ where: { staffUserId: victimId } })).toBe(0);
    expect(await auditRowsFor(h, ua)).toMatchObject([{ action: 'token.create', outcome: 'denied' }]);
  });

  test('when an admin creates a staff token for themselves, then it expires by default, within the maximum', async () => {
    const admin = await createUser(h, 'admin');
    const s = await login(h, admin);
    const res = await call(h, s, 'POST', '/api/tokens', { json: { kind: 'staff', name: 'mine' } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      token: string;
      info: { staffUserId: string; expiresAt: string; issuedBy: string };
    };
    const adminId = (await h.db.staffUser.findUniqueOrThrow({ where: { username: admin.username } })).id;
    expect(body.info.staffUserId).toBe(adminId);
    expect(body.info.issuedBy).toBe(`user:${admin.username}`);
    const days = (Date.parse(body.info.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(h.cfg.STAFF_TOKEN_DAYS - 0.01);
    expect(days).toBeLessThanOrEqual(h.cfg.STAFF_TOKEN_DAYS);
    expect((await call(h, { bearer: body.token }, 'GET', '/api/orders')).status).toBe(200);
    const tooLong = await call(h, s, 'POST', '/api/tokens', {
      json: { kind: 'staff', name: 'forever', expiresInDays: h.cfg.STAFF_TOKEN_MAX_DAYS + 1 },
    });
    expect(tooLong.status).toBe(400);
  });

  test('when a staff token has expired, then it is refused', async () => {
    const viewer = await createUser(h, 'viewer');
    const id = (await h.db.staffUser.findUniqueOrThrow({ where: { username: viewer.username } })).id;
    const { token, info } = await createApiToken(h.db, h.cfg, { kind: 'staff', name: 'old', staffUserId: id });
    expect((await call(h, { bearer: token }, 'GET', '/api/orders')).status).toBe(200);
    await h.db.apiToken.update({ where: { id: info.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await call(h, { bearer: token }, 'GET', '/api/orders')).status).toBe(401);
  });

  test('when logged out, then the session no longer works and logout is audited once', async () => {
    const s = await login(h, await createUser(h, 'viewer'));
    const ua = uid('ua-');
    expect((await call(h, s, 'POST', '/api/logout', { headers: { 'user-agent': ua } })).status).toBe(204);
    expect((await auditRowsFor(h, ua)).map((r) => [r.action, r.outcome])).toEqual([['logout', 'success']]);
    expect((await call(h, s, 'GET', '/api/orders')).status).toBe(401);
  });

  test('when a session sat idle past the limit, then it is refused', async () => {
    const s = await login(h, await createUser(h, 'viewer'));
    const { createHash } = await import('node:crypto');
    const idHash = createHash('sha256').update(s.cookie.split('=')[1]!).digest('hex');
    await h.db.staffSession.update({ where: { idHash }, data: { lastSeenAt: new Date(Date.now() - 31 * 60_000) } });
    expect((await call(h, s, 'GET', '/api/orders')).status).toBe(401);
  });

  test('when an account is disabled, then its sessions and tokens stop working', async () => {
    const user = await createUser(h, 'auditor');
    const s = await login(h, user);
    const row = await h.db.staffUser.findUniqueOrThrow({ where: { username: user.username } });
    const { token } = await createApiToken(h.db, h.cfg, { kind: 'staff', name: 'x', staffUserId: row.id });
    const admin = await login(h, await createUser(h, 'admin'));
    expect((await call(h, admin, 'POST', `/api/users/${user.username}/disable`)).status).toBe(200);
    expect((await call(h, s, 'GET', '/api/orders')).status).toBe(401);
    expect((await call(h, { bearer: token }, 'GET', '/api/orders')).status).toBe(401);
    expect((await apiLogin(user, fakeIp())).status).toBe(401);
  });

  test('when a staff token is used, then it has its user role; revoked or partner tokens are refused', async () => {
    const viewer = await createUser(h, 'viewer');
    const id = (await h.db.staffUser.findUniqueOrThrow({ where: { username: viewer.username } })).id;
    const { token, info } = await createApiToken(h.db, h.cfg, { kind: 'staff', name: 'ci', staffUserId: id });
    expect(token).toMatch(/^fa_[A-Za-z0-9_-]{43}$/);
    expect((await call(h, { bearer: token }, 'GET', `/api/orders?orderNo=${order.orderNo}`)).status).toBe(200);
    expect((await call(h, { bearer: token }, 'GET', '/api/audit')).status).toBe(403);
    expect((await h.db.apiToken.findUniqueOrThrow({ where: { id: info.id } })).lastUsedAt).not.toBeNull();
    const stored = await h.db.apiToken.findUniqueOrThrow({ where: { id: info.id } });
    expect(stored.tokenHash).not.toContain(token.slice(3));
    await revokeApiToken(h.db, info.id);
    expect((await call(h, { bearer: token }, 'GET', '/api/orders')).status).toBe(401);
    const partner = await createApiToken(h.db, h.cfg, { kind: 'partner', name: 'p' });
    expect((await call(h, { bearer: partner.token }, 'GET', '/api/orders')).status).toBe(401);
    expect((await call(h, { bearer: 'fa_nonsense' }, 'GET', '/api/orders')).status).toBe(401);
  });
});

describe('requirePartnerToken', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const auth = createAuth({ db: h.db, cfg: h.cfg });
    const app = express();
    app.set('trust proxy', 'loopback');
    app.get('/api/probe', auth.requirePartnerToken(), (_req, res) => {
      res.json({
        partner: res.locals.partner,
        shop: partnerMayUseApp(res.locals.partner!, 'shop'),
        default: partnerMayUseApp(res.locals.partner!, 'default'),
      });
    });
    app.use(jsonErrorHandler);
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/probe`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('when a partner token restricted to an app is presented, then res.locals.partner carries it', async () => {
    const { token, info } = await createApiToken(h.db, h.cfg, {
      kind: 'partner',
      name: 'shop backend',
      appKey: 'shop',
    });
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(await res.json()).toEqual({
      partner: { tokenId: info.id, name: 'shop backend', appKey: 'shop', scopes: [] },
      shop: true,
      default: false,
    });
  });

  test('when the token is missing, revoked or a staff token, then 401 and each refusal is audited', async () => {
    const staffUser = await createUser(h, 'admin');
    const staffId = (await h.db.staffUser.findUniqueOrThrow({ where: { username: staffUser.username } })).id;
    const staff = await createApiToken(h.db, h.cfg, { kind: 'staff', name: 's', staffUserId: staffId });
    const revoked = await createApiToken(h.db, h.cfg, { kind: 'partner', name: 'old' });
    await revokeApiToken(h.db, revoked.info.id);
    for (const auth of [undefined, `Bearer ${staff.token}`, `Bearer ${revoked.token}`]) {
      const ua = uid('ua-');
      // Each from its own address: repeated refusals from one address fold (docs/security.md).
      const ip = `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;
      const res = await fetch(url, {
        headers: { 'user-agent': ua, 'x-forwarded-for': ip, ...(auth ? { authorization: auth } : {}) },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
      const rows = await auditRowsFor(h, ua);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'access', outcome: 'denied', detail: { realm: 'partner', status: 401 } });
    }
  });
});

describe('security headers', () => {
  test('when a console page is served, then the CSP allows no inline code and the page is not cached', async () => {
    const res = await fetch(`${h.base}/login`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).not.toMatch(/<script>|<style>| on[a-z]+="/);
  });

  test('when the Secure flag is configured, then the cookie is __Host- prefixed and Secure', async () => {
    const secure = await startConsole({ CONSOLE_COOKIE_SECURE: 'true' });
    try {
      const user = await createUser(secure, 'viewer');
      const res = await fetch(`${secure.base}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': fakeIp() },
        body: JSON.stringify(user),
      });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-fa_console='))!;
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
    } finally {
      await secure.close();
    }
  });

  // issue 15 item 13: the `__Host-` prefix is only worth something if the plain name is not read too
  // (a sibling subdomain or a man in the middle on http:// can plant a plain-named cookie).
  test('when secure cookies are on, then plain-named session and login-CSRF cookies are ignored', async () => {
    const secure = await startConsole({ CONSOLE_COOKIE_SECURE: 'true' });
    try {
      const user = await createUser(secure, 'viewer');
      const ip = fakeIp();
      const res = await fetch(`${secure.base}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify(user),
      });
      const hostCookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0]!)
        .find((c) => c.startsWith('__Host-fa_console='))!;
      const search = (cookie: string) =>
        fetch(`${secure.base}/api/orders?orderNo=x`, {
          headers: { cookie, 'x-forwarded-for': ip, accept: 'application/json' },
        });
      expect((await search(hostCookie)).status).toBe(200);
      expect((await search(hostCookie.replace('__Host-', ''))).status).toBe(401);

      // The login form's double-submit cookie, planted under the plain name, is refused too.
      const page = await fetch(`${secure.base}/login`, { headers: { 'x-forwarded-for': ip } });
      const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
      const post = (cookie: string) =>
        fetch(`${secure.base}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'x-forwarded-for': ip },
          body: new URLSearchParams({ ...user, _csrf: token, next: '/console/' }).toString(),
        });
      expect((await post(`fa_login_csrf=${token}`)).status).toBe(403);
      expect((await post(`__Host-fa_login_csrf=${token}`)).status).toBe(303);
    } finally {
      await secure.close();
    }
  });
});
