import { createApiToken } from '../../../src/shared/compliance/staff/api-tokens';
import { dataKey, seal } from '../../../src/shared/platform/sealed';
import { startWeb, testConfig, uid, type WebHarness } from '../../support/web-harness';

describe('partner read API (GET /api/orders)', () => {
  let h: WebHarness;
  let token: string;
  let piiToken: string;
  let otherAppId: string;

  beforeAll(async () => {
    otherAppId = uid('TIDA');
    h = await startWeb({
      cfg: testConfig({
        PARTNER_RATE_PER_MINUTE: '1000',
        WEBANK_APPS: JSON.stringify([{ key: 'other', appId: otherAppId, secret: 's' }]),
      }),
    });
    token = (await createApiToken(h.db, h.cfg, { kind: 'partner', name: uid('reader'), appKey: 'default' })).token;
    piiToken = (
      await createApiToken(h.db, h.cfg, { kind: 'partner', name: uid('pii'), appKey: 'default', scopes: ['pii'] })
    ).token;
  });
  afterAll(async () => h.close());

  const get = (path: string, bearer = token) =>
    fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });

  async function archivedOrder(appId = h.cfg.WEBANK_APP_ID, code = '0') {
    const key = dataKey(h.cfg.DATA_ENCRYPTION_KEY);
    const order = await h.db.order.create({
      data: {
        appId,
        orderNo: uid('rd'),
        status: 'ARCHIVED',
        source: 'CALLBACK',
        callbackCode: code,
        resultCode: code,
        resultMsg: code === '0' ? '比对成功' : '姓名或身份证号码不正确',
        liveRate: '99',
        similarity: '92.5',
        occurredTime: '20261202093000',
        idType: '01',
        idNoSealed: seal('110101199001011234', key),
        nameSealed: seal('张三', key),
        archivedAt: new Date(),
        evidence: {
          create: [
            { kind: 'photo', key: 'k/photo.jpg', bytes: 1234, sha256: 'ab'.repeat(32), contentType: 'image/jpeg' },
          ],
        },
        timeline: { create: [{ type: 'archived', detail: { code } }, { type: 'archive_started' }] },
      },
    });
    return order;
  }

  test('when a partner reads its order, then it gets the authoritative outcome without personal data, and the read is audited', async () => {
    const o = await archivedOrder();
    const res = await get(`/api/orders/${o.orderNo}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      appKey: 'default',
      orderNo: o.orderNo,
      status: 'ARCHIVED',
      outcome: 'passed',
      result: { code: '0', message: '比对成功' },
      liveRate: '99',
      similarity: '92.5',
      occurredAt: '2026-12-02T09:30:00+08:00',
      evidence: [{ kind: 'photo', contentType: 'image/jpeg', bytes: 1234, sha256: 'ab'.repeat(32) }],
      timeline: [{ type: 'archived' }],
    });
    expect(body.personal).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain('110101199001011234');
    const audit = await h.db.auditEntry.findFirst({ where: { orderId: o.id, action: 'partner.read' } });
    expect(audit).toMatchObject({ outcome: 'success', actorRole: 'partner', detail: { pii: false } });
  });

  test('when a token without the pii scope asks for personal data, then it is refused; with it, the data comes and the audit says so', async () => {
    const o = await archivedOrder();
    expect((await get(`/api/orders/${o.orderNo}?pii=1`)).status).toBe(403);
    const res = await get(`/api/orders/${o.orderNo}?pii=1`, piiToken);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { personal: unknown }).personal).toEqual({
      idType: '01',
      idNo: '110101199001011234',
      name: '张三',
    });
    const audit = await h.db.auditEntry.findFirst({
      where: { orderId: o.id, action: 'partner.read', outcome: 'success' },
    });
    expect(audit?.detail).toMatchObject({ pii: true });
  });

  test('when an order ended without WeBank answering, then its outcome is no_result; while open it is pending', async () => {
    for (const [status, outcome] of [
      ['FAILED', 'no_result'],
      ['NO_RESULT', 'no_result'],
      ['EXPIRED', 'expired'],
      ['QUEUED', 'pending'],
    ] as const) {
      const o = await h.db.order.create({
        data: { appId: h.cfg.WEBANK_APP_ID, orderNo: uid('st'), status, source: 'REGISTRATION' },
      });
      expect(((await (await get(`/api/orders/${o.orderNo}`)).json()) as { outcome: string }).outcome).toBe(outcome);
    }
  });

  test("when a token reads another app's order, then it is not found (no probing), and the failed read is audited", async () => {
    const o = await archivedOrder(otherAppId);
    expect((await get(`/api/orders/${o.orderNo}`)).status).toBe(404);
    expect((await get(`/api/orders/${o.orderNo}?appKey=other`)).status).toBe(403);
    const audit = await h.db.auditEntry.findFirst({
      where: { action: 'partner.read', target: `orderNo:${o.orderNo}` },
    });
    expect(audit?.outcome).toBe('failure');
  });

  test('when a partner reconciles, then the listing pages by keyset over changes since a time, oldest first, each order once', async () => {
    const since = new Date();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await archivedOrder(h.cfg.WEBANK_APP_ID, i % 2 ? '66660015' : '0'));
    await archivedOrder(otherAppId);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs = new URLSearchParams({ since: since.toISOString(), limit: '2', ...(cursor ? { cursor } : {}) });
      const res = await get(`/api/orders?${qs}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { orders: { orderNo: string; outcome: string }[]; nextCursor: string | null };
      seen.push(...page.orders.map((o) => o.orderNo));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(made.map((o) => o.orderNo));
    expect(pages).toBe(3);
    const failed = (await (
      await get(`/api/orders?status=ARCHIVED&since=${encodeURIComponent(since.toISOString())}`)
    ).json()) as {
      orders: { outcome: string }[];
    };
    expect(failed.orders.map((o) => o.outcome)).toEqual(['passed', 'failed', 'passed', 'failed', 'passed']);
  });
});
