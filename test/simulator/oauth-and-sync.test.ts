import { callbackSign, signatureMatches, verifyCallback } from '../../src/shared/webank/signature';
import { type Simulator, startSimulator } from '../../src/simulator';
import { fixture } from '../../src/simulator/media';
import { APP, fetchTicket, fetchToken, getJson, queryUrl } from './helpers';

describe('simulator: token, ticket, sync and callback signing', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ apps: [APP] });
  });
  afterAll(() => sim.close());

  test('when asking for a token with the right secret, then a token and its lifetime come back', async () => {
    const body = await fetchToken(sim);
    expect(body).toMatchObject({ code: '0', access_token: expect.any(String), expire_in: 7200 });
    expect(body.transactionTime).toMatch(/^\d{14}$/);
    expect(body.expire_time).toMatch(/^\d{14}$/);
  });

  test('when the secret is wrong or the app unknown, then a non-zero code and no token', async () => {
    const wrong = await fetchToken(sim, { ...APP, secret: 'nope' });
    expect(wrong.code).not.toBe('0');
    expect(wrong.access_token).toBeUndefined();
    const unknown = await fetchToken(sim, { appId: 'nobody', secret: APP.secret });
    expect(unknown.code).not.toBe('0');
  });

  test('when fetching a SIGN ticket with the token, then it is the ticket the simulator signs with', async () => {
    const token = await fetchToken(sim);
    const body = await fetchTicket(sim, token.access_token);
    expect(body.code).toBe('0');
    expect(body.tickets).toHaveLength(1);
    expect(body.tickets[0]).toMatchObject({ value: sim.currentTicket(APP.appId), expire_in: expect.any(Number) });
    expect(body.tickets[0].expire_time).toMatch(/^\d{14}$/);
  });

  test('when the access_token is unknown, then api_ticket answers a non-zero code', async () => {
    const body = await fetchTicket(sim, 'not-a-token');
    expect(body.code).not.toBe('0');
    expect(body.tickets).toBeUndefined();
  });

  test('when a scan passed, then sync answers code 0 with the person, photo and video', async () => {
    const scan = sim.createScan({
      appId: APP.appId,
      orderNo: 'order-sync-1',
      idNo: '11010519491231002X',
      name: '李四',
    });
    const body = await getJson(queryUrl(sim, { orderNo: scan.orderNo, ticket: sim.currentTicket(APP.appId) }));
    expect(body).toMatchObject({
      code: '0',
      bizSeqNo: expect.stringMatching(/^\d{32}$/),
      transactionTime: expect.stringMatching(/^\d{14}$/),
    });
    expect(body.result).toMatchObject({
      orderNo: scan.orderNo,
      bizSeqNo: scan.bizSeqNo,
      idNo: '11010519491231002X',
      idType: '01',
      name: '李四',
      liveRate: expect.any(String),
      similarity: expect.any(String),
      // yyyyMMddHHmmss, as 1007/114181 and 1007/114167 document it (the older pages: readable).
      occurredTime: expect.stringMatching(/^\d{14}$/),
      transactionTime: expect.stringMatching(/^\d{14}$/),
      success: false,
    });
    expect(Buffer.from(body.result.photo, 'base64')).toEqual(fixture('face.jpg'));
    expect(Buffer.from(body.result.video, 'base64')).toEqual(fixture('face.mp4'));
    expect(sim.servedMedia(APP.appId, scan.orderNo).photo).toEqual(fixture('face.jpg'));
  });

  test('when a scan failed, then sync answers its failure code', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-fail-1', outcome: 'fail' });
    sim.createScan({ appId: APP.appId, orderNo: 'order-fail-2', outcome: 'fail', code: '66660018' });
    const ticket = sim.currentTicket(APP.appId);
    expect((await getJson(queryUrl(sim, { orderNo: 'order-fail-1', ticket }))).code).toBe('66660015');
    expect((await getJson(queryUrl(sim, { orderNo: 'order-fail-2', ticket }))).code).toBe('66660018');
  });

  test.each([
    ['unknown', undefined],
    ['abandoned', { outcome: 'abandon' as const }],
    ['risk-controlled', { outcome: 'risk' as const }],
    ['older than 3 days', { finishedAt: new Date(Date.now() - 3 * 24 * 3600_000 - 60_000) }],
  ])('when the order is %s, then sync answers 66660011', async (label, extra) => {
    const orderNo = `order-none-${label.replace(/\W/g, '')}`;
    if (extra) sim.createScan({ appId: APP.appId, orderNo, ...extra });
    const body = await getJson(queryUrl(sim, { orderNo, ticket: sim.currentTicket(APP.appId) }));
    expect(body.code).toBe('66660011');
  });

  test('when the sign is wrong or the nonce malformed, then WeBank-style non-zero codes', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'order-sign-1' });
    const bad = await getJson(queryUrl(sim, { orderNo: 'order-sign-1', ticket: 'not-the-ticket' }));
    expect(bad).toMatchObject({ code: '400101', msg: '签名校验失败' });
    expect(bad.result).toBeUndefined();
    const ticket = sim.currentTicket(APP.appId);
    for (const nonce of ['short', `${'a'.repeat(31)}-`, 'a'.repeat(33)]) {
      const body = await getJson(queryUrl(sim, { orderNo: 'order-sign-1', ticket, nonce }));
      expect(body.code).toBe('400102');
    }
    expect(sim.requests({ path: '/api/server/sync' }).at(-1)).toMatchObject({ status: 200, code: '400102' });
  });

  test('when signing a callback, then our verifier accepts it with the current ticket only', () => {
    const scan = sim.createScan({ appId: APP.appId, orderNo: 'order-cb-1' });
    const q = sim.callbackQuery(APP.appId, scan.orderNo);
    expect(q).toMatchObject({ code: '0', orderNo: scan.orderNo, h5faceId: scan.h5faceId });
    expect(q.newSign).toBe(q.newSignature);
    const ticket = sim.currentTicket(APP.appId);
    expect(
      verifyCallback({ appId: APP.appId, orderNo: scan.orderNo, code: '0', signature: q.newSignature! }, [
        { value: ticket, label: 'current' },
      ]),
    ).toBeDefined();
    expect(
      signatureMatches(
        sim.signCallback(APP.appId, scan.orderNo, '0'),
        callbackSign({ appId: APP.appId, orderNo: scan.orderNo, code: '0', ticket }),
      ),
    ).toBe(true);
  });

  test('when signing the documented vector, then the documented signature comes out', async () => {
    const doc = await startSimulator({ apps: [{ appId: 'appId001', secret: 's' }] });
    try {
      // The simulator signs with its own tickets; the vector checks the shared signer it relies on.
      expect(
        callbackSign({
          appId: 'appId001',
          orderNo: 'test1480921551481',
          code: '0',
          ticket: 'duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe',
        }),
      ).toBe('526365E042766AE27A6E52D2E4829D4C6E156B5D');
      doc.createScan({ appId: 'appId001', orderNo: 'test1480921551481' });
      const sig = doc.signCallback('appId001', 'test1480921551481', '0');
      expect(sig).toBe(
        callbackSign({
          appId: 'appId001',
          orderNo: 'test1480921551481',
          code: '0',
          ticket: doc.currentTicket('appId001'),
        }),
      );
    } finally {
      await doc.close();
    }
  });
});
