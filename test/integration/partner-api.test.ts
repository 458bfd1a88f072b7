import { callbackSign } from '../../src/shared/webank/signature';
import { createApiToken } from '../../src/shared/compliance/staff/api-tokens';
import { archiveJobId } from '../../src/shared/orders/archive-queue';
import { startWeb, testConfig, uid, type WebHarness } from '../support/web-harness';

const TICKET = 'partner-api-ticket-' + 'z'.repeat(40);

describe('partner API', () => {
  let h: WebHarness;
  let token: string;

  beforeAll(async () => {
    h = await startWeb({
      cfg: testConfig({
        PARTNER_RATE_PER_MINUTE: '1000',
        WEBANK_APPS: JSON.stringify([{ key: 'other', appId: uid('TIDA'), secret: 's' }]),
      }),
    });
    await h.tickets.save(h.cfg.WEBANK_APP_ID, TICKET, 3600);
    token = (await createApiToken(h.db, h.cfg, { kind: 'partner', name: uid('backend'), appKey: 'default' })).token;
  });
  afterAll(async () => h.close());

  const post = (path: string, body: unknown, bearer: string | undefined = token) =>
    fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify(body),
    });
  const signed = (orderNo: string, code = '0') => ({
    orderNo,
    code,
    sign: callbackSign({ appId: h.cfg.WEBANK_APP_ID, orderNo, ticket: TICKET, code }),
  });

  test('when an App SDK result is signed correctly, then it is recorded and queued like a redirect', async () => {
    const orderNo = uid('sdk');
    const res = await post('/api/results/verify', signed(orderNo));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ orderNo, verdict: 'accepted', outcome: 'verified', code: '0' });
    const order = await h.db.order.findUniqueOrThrow({
      where: { appId_orderNo: { appId: h.cfg.WEBANK_APP_ID, orderNo } },
      include: { events: true },
    });
    expect(order.source).toBe('APP_SDK');
    expect(order.events[0]).toMatchObject({ channel: 'app_sdk', verdict: 'accepted' });
    expect(await h.queue.getJob(archiveJobId('faceid', h.cfg.WEBANK_APP_ID, orderNo))).toBeDefined();
  });

  test('when the same signed result is replayed, then it is a duplicate: no second order, no second job', async () => {
    const orderNo = uid('sdk');
    await post('/api/results/verify', signed(orderNo));
    const again = await post('/api/results/verify', signed(orderNo));
    expect(again.status).toBe(200);
    expect(((await again.json()) as { verdict: string }).verdict).toBe('duplicate');
    expect(await h.db.order.count({ where: { appId: h.cfg.WEBANK_APP_ID, orderNo } })).toBe(1);
    // Replayed with another code: the signature no longer matches.
    const forged = await post('/api/results/verify', { ...signed(orderNo), code: '66660015' });
    expect(forged.status).toBe(403);
  });

  test('when a field is tampered with, then 403 and the attempt is recorded', async () => {
    const orderNo = uid('sdk');
    const res = await post('/api/results/verify', { ...signed(orderNo), orderNo: uid('x') });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('signature_rejected');
    expect(
      await h.db.callbackEvent.count({
        where: { appId: h.cfg.WEBANK_APP_ID, channel: 'app_sdk', verdict: 'rejected' },
      }),
    ).toBeGreaterThan(0);
  });

  test.each([
    ['no token', undefined, 401],
    ['a wrong token', 'fa_nottherighttoken', 401],
  ])('when called with %s, then %s', async (_n, bearer, status) => {
    expect((await post('/api/results/verify', signed(uid('sdk')), bearer ?? '')).status).toBe(status);
  });

  test('when a token limited to one app is used for another, then 403', async () => {
    expect((await post('/api/results/verify', { ...signed(uid('sdk')), appKey: 'other' })).status).toBe(403);
  });

  test('when the body is malformed, then 400 naming each problem', async () => {
    const res = await post('/api/results/verify', { orderNo: 'a b', code: '0', sign: 'short', extra: 1 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { details: { problems: string[] } };
    expect(body.details.problems.join(' ')).toMatch(/orderNo/);
    expect(body.details.problems.join(' ')).toMatch(/sign/);
  });

  test('when a backend registers an order, then it is EXPECTED, and registering again changes nothing', async () => {
    const orderNo = uid('reg');
    const first = await post('/api/orders', { orderNo, userRef: 'u-1' });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ orderNo, status: 'EXPECTED', created: true });
    const second = await post('/api/orders', { orderNo });
    expect(second.status).toBe(200);
    expect(((await second.json()) as { created: boolean }).created).toBe(false);
  });
});

describe('partner API rate limit', () => {
  test('when a token exceeds its requests per minute, then 429 with Retry-After', async () => {
    const h = await startWeb({ cfg: testConfig({ PARTNER_RATE_PER_MINUTE: '3' }) });
    try {
      const { token } = await createApiToken(h.db, h.cfg, { kind: 'partner', name: uid('backend') });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${h.url}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ orderNo: uid('rl') }),
        });
        statuses.push(res.status);
        if (res.status === 429) expect(res.headers.get('retry-after')).toBeTruthy();
      }
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
      expect(statuses.slice(0, 2)).toEqual([201, 201]);
    } finally {
      await h.close();
    }
  });
});
