import { createUser, login, call, startConsole, uid, type ConsoleHarness, type Session } from './harness';
import { TestReceiver } from '../support/webhook-receiver';

describe('console: webhook endpoints and their delivery log (admins)', () => {
  let h: ConsoleHarness;
  let admin: Session;
  let viewer: Session;
  const r = new TestReceiver();

  beforeAll(async () => {
    h = await startConsole();
    admin = await login(h, await createUser(h, 'admin'));
    viewer = await login(h, await createUser(h, 'viewer'));
    await r.start();
  });
  afterAll(async () => {
    await r.stop();
    await h.close();
  });

  test('an admin adds an endpoint (secret once), sees it, disables it (needs attention), enables it, rotates its secret, replays; all audited', async () => {
    const ua = uid('ua-');
    const headers = { 'user-agent': ua };
    expect((await call(h, viewer, 'GET', '/webhooks', { headers })).status).toBe(403);
    const refused = await call(h, admin, 'POST', '/api/webhooks', { json: { url: r.url }, headers });
    expect(refused.status).toBe(400);

    const added = await call(h, admin, 'POST', '/api/webhooks', {
      json: { url: r.url, appKey: 'default', allowPrivate: 'on', events: 'verification.passed' },
      headers,
    });
    expect(added.status).toBe(201);
    const { endpoint, secret } = (await added.json()) as { endpoint: { id: string }; secret: string };
    expect(secret).toMatch(/^whsec_/);

    const listPage = await call(h, admin, 'GET', '/webhooks', { headers: { ...headers, accept: 'text/html' } });
    expect(listPage.status).toBe(200);
    const listed = await listPage.text();
    expect(listed).toContain('合作方 Webhook 端点');
    expect(listed).toContain(r.url);
    expect(listed).not.toContain(secret);

    expect(
      (
        await call(h, admin, 'POST', `/api/webhooks/${endpoint.id}/disable`, {
          json: { reason: 'maintenance' },
          headers,
        })
      ).status,
    ).toBe(200);
    const attention = await (await call(h, admin, 'GET', '/webhooks', { headers: { accept: 'text/html' } })).text();
    expect(attention).toMatch(/id="webhooks-attention"[\s\S]*maintenance/);
    expect((await call(h, admin, 'POST', `/api/webhooks/${endpoint.id}/enable`, { headers })).status).toBe(200);

    const rotated = await call(h, admin, 'POST', `/api/webhooks/${endpoint.id}/rotate-secret`, { headers });
    expect(((await rotated.json()) as { secret: string }).secret).toMatch(/^whsec_/);

    const replayed = await call(h, admin, 'POST', `/api/webhooks/${endpoint.id}/replay`, {
      json: { from: '2026-01-01', to: '2026-01-02' },
      headers,
    });
    expect(await replayed.json()).toEqual({ deliveries: 0 });

    const log = await call(h, admin, 'GET', `/webhooks/${endpoint.id}`, {
      headers: { ...headers, accept: 'text/html' },
    });
    expect(log.status).toBe(200);
    expect(await log.text()).toContain('投递记录');

    const actions = (await h.db.auditEntry.findMany({ where: { userAgent: ua }, orderBy: { id: 'asc' } })).map(
      (a) => `${a.action}:${a.outcome}`,
    );
    expect(actions).toEqual([
      'webhook.list:denied',
      'webhook.add:failure',
      'webhook.add:success',
      'webhook.list:success',
      'webhook.disable:success',
      'webhook.enable:success',
      'webhook.rotate_secret:success',
      'webhook.replay:success',
      'webhook.list:success',
    ]);
  });
});
