import { Webhook } from 'standardwebhooks';
import { markExpired } from '../../../src/shared/orders/recovery-records';
import { recordStep } from '../../../src/shared/orders/archive-records';
import { addEndpoint, enableEndpoint, rotateSecret } from '../../../src/shared/partners/webhook-endpoints';
import { replay } from '../../../src/shared/partners/replay';
import { deliveryLog } from '../../../src/shared/partners/delivery-log';
import {
  drainFanOut,
  queuedOrder,
  resultThenArchived,
  startWebhooks,
  type WebhookHarness,
} from '../../support/webhook-harness';
import { TestReceiver, typesByOrder } from '../../support/webhook-receiver';
import { uid } from '../../support/web-harness';

const STAFF = { actor: 'cli:test', actorRole: 'cli' };

describe('partner webhooks: outbox, signed delivery, retries, order, replay', () => {
  let h: WebhookHarness;
  const receivers: TestReceiver[] = [];

  beforeAll(() => {
    h = startWebhooks({ WEBHOOK_DISABLE_AFTER: '6' });
  });
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await h.close();
  });

  /** A receiver listening, registered as an endpoint of the test's app. */
  async function endpoint(opts: { events?: string[] } = {}) {
    // Events of earlier tests go to the endpoints that existed then, not to this one.
    await drainFanOut(h);
    const r = new TestReceiver();
    await r.start();
    receivers.push(r);
    const { endpoint: ep, secret } = await addEndpoint(
      h.db,
      h.cfg,
      { url: r.url, appKey: 'default', allowPrivate: true, events: opts.events },
      STAFF,
    );
    r.secrets = [secret];
    return { r, ep, secret };
  }

  afterEach(async () => {
    // Each test's endpoints stop receiving; their receivers are closed at the end.
    await h.db.webhookEndpoint.updateMany({
      where: { appId: h.cfg.WEBANK_APP_ID, disabledAt: null },
      data: { disabledAt: new Date() },
    });
  });

  test('when the archiver records an outcome, then its partner events are written in the same statement, in order, once', async () => {
    const o = await resultThenArchived(h.db, h.cfg);
    const events = await h.db.webhookEvent.findMany({ where: { orderId: o.id }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['verification.passed', 'evidence.archived']);
    // A duplicate run recording the same outcome again adds nothing: event ids stay what receivers saw.
    await recordStep(h.db, o.id, { fields: { status: 'ARCHIVED' }, events: [{ type: 'archived' }] });
    expect(await h.db.webhookEvent.count({ where: { orderId: o.id } })).toBe(2);
    // A step that sets no status writes no event.
    const q = await queuedOrder(h.db, h.cfg);
    await recordStep(h.db, q.id, { fields: { liveRate: '1' } });
    expect(await h.db.webhookEvent.count({ where: { orderId: q.id } })).toBe(0);
    // An expired registration is an event too.
    const reg = await h.db.order.create({
      data: { appId: h.cfg.WEBANK_APP_ID, orderNo: uid('exp'), status: 'EXPECTED', source: 'REGISTRATION' },
    });
    expect(await markExpired(h.db, reg)).toBe(true);
    expect((await h.db.webhookEvent.findMany({ where: { orderId: reg.id } })).map((e) => e.type)).toEqual([
      'order.expired',
    ]);
  });

  test('when an order is archived, then the endpoint receives both events signed per Standard Webhooks, read-API bodies without personal data', async () => {
    const { r, secret } = await endpoint();
    const o = await resultThenArchived(h.db, h.cfg);
    await r.waitFor(2);
    expect(r.processed.map((m) => m.type)).toEqual(['verification.passed', 'evidence.archived']);
    const m = r.processed[0]!;
    expect(m.verified).toBe(true);
    expect(m.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(m.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    // The partner's own check, with the library's verifier and only the secret.
    const payload = JSON.stringify(m.body);
    expect(() => new Webhook(secret).verify(payload, m.headers)).not.toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(payload, m.headers)).toThrow();
    expect(m.body.data).toMatchObject({ orderNo: o.orderNo, outcome: 'passed', appKey: 'default' });
    expect(m.body.data.personal).toBeUndefined();
  });

  test('when the receiver fails (5xx, hangs past the timeout, answers slowly), then the delivery is retried until delivered once', async () => {
    const { r, ep } = await endpoint({ events: ['verification.failed'] });
    r.script.push('500', '503', 'hang', { slowMs: 150 });
    const o = await resultThenArchived(h.db, h.cfg, '66660015');
    await r.waitFor(1);
    expect(r.processed.map((m) => [m.type, m.orderNo])).toEqual([['verification.failed', o.orderNo]]);
    // Four arrivals (two 5xx, a hang, the slow success): one processed message.
    expect(r.raw.length).toBe(4);
    expect(new Set(r.raw.map((m) => m.id)).size).toBe(1);
    // The receiver answered before the worker recorded it.
    await waitUntil(
      async () => (await h.db.webhookDelivery.count({ where: { endpointId: ep.id, status: 'delivered' } })) === 1,
    );
    const log = await deliveryLog(h.db, ep.id);
    expect(log.rows).toHaveLength(1);
    expect(log.rows[0]).toMatchObject({
      status: 'delivered',
      attempts: 4,
      lastStatus: 204,
      type: 'verification.failed',
    });
    expect(log.rows[0]!.lastLatencyMs).toBeGreaterThanOrEqual(140);
  });

  test('when deliveries of many orders fail at random, then each order still receives its events in order', async () => {
    const { r } = await endpoint();
    let n = 0;
    r.otherwise = () => (n++ % 3 === 0 ? '500' : n % 5 === 0 ? { slowMs: 60 } : 'ok');
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await resultThenArchived(h.db, h.cfg, i % 2 ? '0' : '66660015'));
    await r.waitFor(16, 30_000);
    const byOrder = typesByOrder(r.processed);
    for (const [i, o] of orders.entries())
      expect(byOrder[o.orderNo]).toEqual([i % 2 ? 'verification.passed' : 'verification.failed', 'evidence.archived']);
  });

  test('when the receiver answers 410 Gone, then the endpoint is disabled; enabled again, the waiting deliveries go out', async () => {
    const { r, ep } = await endpoint();
    r.script.push('410');
    const o = await resultThenArchived(h.db, h.cfg);
    await waitUntil(async () => !!(await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })).disabledAt);
    const disabled = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
    expect(disabled.disabledReason).toMatch(/410/);
    expect(await h.db.auditEntry.count({ where: { action: 'webhook.auto_disable', target: `webhook:${ep.id}` } })).toBe(
      1,
    );
    await waitUntil(
      async () => (await h.db.webhookDelivery.count({ where: { endpointId: ep.id, status: 'disabled' } })) === 2,
    );
    expect(r.processed).toHaveLength(0);
    await enableEndpoint(h.db, ep.id, STAFF);
    await r.waitFor(2);
    expect(typesByOrder(r.processed)[o.orderNo]).toEqual(['verification.passed', 'evidence.archived']);
  });

  test('when an endpoint fails too many times in a row, then it is disabled with an audit entry', async () => {
    const { r, ep } = await endpoint();
    r.otherwise = '500';
    await resultThenArchived(h.db, h.cfg);
    await waitUntil(
      async () => !!(await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })).disabledAt,
      20_000,
    );
    const e = await h.db.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } });
    expect(e.failureRun).toBe(6);
    expect(e.disabledReason).toMatch(/6 failed attempts in a row/);
    expect(r.processed).toHaveLength(0);
  });

  test('when staff replay an event or a time range, then it goes out again with the same webhook-id (de-duplicated) or to a new endpoint for the first time', async () => {
    const first = await endpoint();
    // From here on: earlier tests' events of this app (one second old, say) are outside the range.
    const since = new Date();
    const o = await resultThenArchived(h.db, h.cfg);
    await first.r.waitFor(2);
    const event = await h.db.webhookEvent.findFirstOrThrow({ where: { orderId: o.id, type: 'verification.passed' } });
    expect(await replay(h.db, { endpointId: first.ep.id, eventId: first.r.processed[0]!.id }, STAFF)).toBe(1);
    await waitUntil(async () => first.r.raw.length === 3);
    expect(first.r.raw[2]!.id).toBe(first.r.processed[0]!.id);
    expect(first.r.processed).toHaveLength(2);
    expect(event.id.replace(/-/g, '')).toBe(first.r.processed[0]!.id.slice(4));
    // An endpoint added later gets the range's events, in order.
    const later = await endpoint();
    expect(await replay(h.db, { endpointId: later.ep.id, from: since, to: new Date() }, STAFF)).toBe(2);
    await later.r.waitFor(2);
    expect(typesByOrder(later.r.processed)[o.orderNo]).toEqual(['verification.passed', 'evidence.archived']);
    expect(await h.db.auditEntry.count({ where: { action: 'webhook.replay', target: `webhook:${later.ep.id}` } })).toBe(
      1,
    );
  });

  test('when the secret is rotated, then messages carry two signatures: a receiver with either secret verifies them', async () => {
    const { r, ep, secret: old } = await endpoint();
    const { secret: fresh } = await rotateSecret(h.db, h.cfg, ep.id, STAFF);
    r.secrets = [fresh];
    await resultThenArchived(h.db, h.cfg);
    await r.waitFor(2);
    const m = r.processed[0]!;
    expect(m.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    const payload = JSON.stringify(m.body);
    expect(() => new Webhook(old).verify(payload, m.headers)).not.toThrow();
    expect(() => new Webhook(fresh).verify(payload, m.headers)).not.toThrow();
  });
});

async function waitUntil(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
