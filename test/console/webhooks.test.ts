import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  createUser,
  login,
  call,
  PHOTO,
  seedOrder,
  startConsole,
  uid,
  type ConsoleHarness,
  type Session,
} from './harness';
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

  test('when an integrity check finds altered evidence, then the partner event evidence.integrity_failed is recorded with it, once', async () => {
    const o = await seedOrder(h);
    const altered = Buffer.from(PHOTO);
    altered[300] = (altered[300]! + 1) % 256;
    await h.s3.client.send(
      new PutObjectCommand({ Bucket: h.s3.bucket, Key: o.photoKey, Body: altered, ContentType: 'image/jpeg' }),
    );
    for (let i = 0; i < 2; i++) expect((await call(h, viewer, 'POST', `/api/orders/${o.id}/verify`)).status).toBe(200);
    const events = await h.db.webhookEvent.findMany({ where: { orderId: o.id } });
    expect(events.map((e) => e.type)).toEqual(['evidence.integrity_failed']);
    // An intact order's check records no event.
    const intact = await seedOrder(h);
    await call(h, viewer, 'POST', `/api/orders/${intact.id}/verify`);
    expect(await h.db.webhookEvent.count({ where: { orderId: intact.id } })).toBe(0);
  });
});
