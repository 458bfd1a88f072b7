import { createApiToken } from '../../../src/shared/compliance/staff/api-tokens';
import { startWeb, uid, type WebHarness } from '../../support/web-harness';

/**
 * Issue 15, item 7: a partner could register an order with any `product` and a `startedAt` of
 * 1970, after which the sweeper expired it without asking WeBank. The product is the app's, and
 * `startedAt` must lie in the recent past.
 */
describe('fields a partner sets on POST /api/orders', () => {
  let h: WebHarness;
  let token: string;
  beforeAll(async () => {
    h = await startWeb();
    token = (await createApiToken(h.db, h.cfg, { kind: 'partner', name: uid('backend'), appKey: 'default' })).token;
  });
  afterAll(async () => h.close());

  const register = (body: Record<string, unknown>) =>
    fetch(`${h.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const stored = (orderNo: string) =>
    h.db.order.findUnique({ where: { appId_orderNo: { appId: h.cfg.WEBANK_APP_ID, orderNo } } });

  test("when the product differs from the app's, then 400 and no order", async () => {
    const orderNo = uid('p');
    const res = await register({ orderNo, product: 'ocr' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/product/);
    expect(await stored(orderNo)).toBeNull();
  });

  test("when the product is the app's own, or absent, then the order has the app's product", async () => {
    for (const body of [{ product: 'faceid' }, {}]) {
      const orderNo = uid('p');
      expect((await register({ orderNo, ...body })).status).toBe(201);
      expect((await stored(orderNo))?.product).toBe('faceid');
    }
  });

  test.each([
    ['1970', '1970-01-01T00:00:00Z'],
    ['four days ago', new Date(Date.now() - 4 * 24 * 3600_000).toISOString()],
    ['an hour ahead', new Date(Date.now() + 3600_000).toISOString()],
  ])('when startedAt is %s, then 400 and no order', async (_what, startedAt) => {
    const orderNo = uid('s');
    const res = await register({ orderNo, startedAt });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/startedAt/);
    expect(await stored(orderNo)).toBeNull();
  });

  test('when startedAt is a few minutes ago, then it is kept', async () => {
    const orderNo = uid('s');
    const startedAt = new Date(Date.now() - 5 * 60_000);
    expect((await register({ orderNo, startedAt: startedAt.toISOString() })).status).toBe(201);
    expect((await stored(orderNo))?.startedAt?.getTime()).toBe(startedAt.getTime());
  });
});
