import type { Server } from 'node:http';
import { createDb } from '../../../src/shared/platform/db';
import { EvidenceStore } from '../../../src/shared/evidence/evidence-store';
import { createMetrics } from '../../../src/shared/platform/metrics';
import { createArchiveQueue, enqueueArchive } from '../../../src/shared/orders/archive-queue';
import { createRedis } from '../../../src/shared/platform/redis';
import { createStaffUser } from '../../../src/shared/compliance/staff/accounts';
import { createApp } from '../../../src/web/app';
import { createApiToken } from '../../../src/shared/compliance/staff/api-tokens';
import { queueDashboardRouter } from '../../../src/web/queue-dashboard';
import { testConfig, uid } from '../../support/web-harness';

describe('queue dashboard', () => {
  const cfg = testConfig({ CONSOLE_COOKIE_SECURE: 'false' });
  const db = createDb(cfg.DATABASE_URL, 2);
  const redis = createRedis(cfg.redis, 'producer', 'test-dashboard');
  const queue = createArchiveQueue(redis, cfg.QUEUE_PREFIX);
  const evidence = EvidenceStore.fromConfig(cfg);
  let server: Server;
  let url: string;
  const tokens: Record<string, string> = {};
  const users: Record<string, string> = {};

  beforeAll(async () => {
    // Wired as server.ts wires it.
    const app = createApp({
      cfg,
      db,
      archiveQueue: queue,
      tickets: { validAround: async () => [] },
      metrics: createMetrics(),
      evidence,
      redis,
      extraRouters: [queueDashboardRouter({ db, cfg, queues: [queue] })],
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    for (const role of ['admin', 'auditor'] as const) {
      const user = await createStaffUser(db, { username: uid(`${role}-`), role, password: uid('pw-') + 'Aa1!x' });
      users[role] = user.username;
      tokens[role] = (
        await createApiToken(db, cfg, { kind: 'staff', name: `dashboard test ${role}`, staffUserId: user.id })
      ).token;
    }
    await enqueueArchive(queue, { appId: cfg.WEBANK_APP_ID, orderNo: uid('qd'), product: 'faceid', reason: 'test' });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
    evidence.close();
    await db.$disconnect();
  });

  const get = (path: string, role?: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      redirect: 'manual',
      headers: { ...headers, ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}) },
    });

  test('when an admin opens /admin/queues, then bull-board shows the archive queue read-only, under its own CSP', async () => {
    const page = await get('/admin/queues', 'admin', { accept: 'text/html' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    // The UI's own assets are served from under the same path.
    const script = /src="(static\/js\/main[^"]+\.js)"/.exec(html)?.[1];
    expect((await get(`/admin/queues/${script}`, 'admin')).status).toBe(200);

    const api = await get('/admin/queues/api/queues?activeQueue=archive&status=waiting', 'admin');
    expect(api.status).toBe(200);
    const body = (await api.json()) as {
      queues: { name: string; readOnlyMode: boolean; counts: Record<string, number> }[];
    };
    expect(body.queues).toEqual([expect.objectContaining({ name: 'archive', readOnlyMode: true })]);
    expect(body.queues[0]!.counts.waiting).toBe(1);
    // Read-only: no retry, clean or pause from here (the console's audited re-queue is the way).
    const pause = await fetch(`${url}/admin/queues/api/queues/archive/pause`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    expect(pause.status).toBe(405);
    expect(await queue.isPaused()).toBe(false);
  });

  test('when someone without the admin role asks, then a browser is sent to the console login, the API says 401/403, and each refusal is audited', async () => {
    const before = new Date();
    // From an address of its own: repeated anonymous refusals from one address fold (docs/security.md).
    const from = { 'x-forwarded-for': `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.9` };
    const anonymousPage = await get('/admin/queues', undefined, { accept: 'text/html', ...from });
    expect(anonymousPage.status).toBe(303);
    expect(anonymousPage.headers.get('location')).toBe('/console/login');
    expect((await get('/admin/queues/api/queues', undefined, from)).status).toBe(401);
    const auditor = await get('/admin/queues/api/queues', 'auditor');
    expect(auditor.status).toBe(403);
    expect(await auditor.text()).not.toContain('archive');

    const denied = await db.auditEntry.findMany({
      where: { action: 'access', outcome: 'denied', at: { gte: before }, target: { startsWith: 'GET /admin/queues' } },
    });
    expect(denied.map((d) => d.actor).sort()).toEqual(['anonymous', 'anonymous', `user:${users.auditor}`].sort());
  });

  test('when a staff member without the admin role opens the dashboard in a browser, then a console error page, not JSON', async () => {
    const page = await get('/admin/queues', 'auditor', { accept: 'text/html' });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    // The console's own 403 page, in Chinese by default, with the signed-in person's menu kept.
    expect(html).toContain('<h1>无权访问</h1>');
    expect(html).toContain('您的角色无权进行此操作。');
    expect(html).not.toContain('requires the admin role');
    expect(html).toContain('href="/console/"');
    expect(html).toContain('<nav id="menu">');
    expect(html).toContain('href="/console/static/console.css"');
    expect(html).not.toContain('<base href="/admin/queues/"');
  });
});
