import { callbackSign } from '../../../src/shared/webank/signature';
import { startWeb, uid, type WebHarness } from '../../support/web-harness';

/**
 * Issue 15, item 3: a NUL byte in any callback parameter made the event insert fail
 * (PostgreSQL 22P05 in jsonb): the forger got a 503 and left no trace. Control characters are
 * stored escaped, and the attempt is recorded like any other.
 */
const TICKET = 'CtrlCharTicket' + 'x'.repeat(50);

describe('control characters in callback parameters', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await startWeb();
    await h.tickets.save(h.cfg.WEBANK_APP_ID, TICKET, 3600);
  });
  afterAll(async () => h.close());

  function genuine(orderNo: string): URLSearchParams {
    const sign = callbackSign({ appId: h.cfg.WEBANK_APP_ID, orderNo, ticket: TICKET, code: '0' });
    return new URLSearchParams({ code: '0', orderNo, h5faceId: 'wb1', newSignature: sign });
  }

  // Each attempt from its own address: refused attempts from one address fold into one event.
  const get = (q: string, path = h.cfg.CALLBACK_PATH) =>
    fetch(`${h.url}${path}?${q}`, {
      redirect: 'manual',
      headers: {
        'user-agent': 'jest-browser',
        'x-forwarded-for': `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.8`,
      },
    });

  test.each([
    ['the code', (orderNo: string) => `code=0%00&orderNo=${orderNo}&h5faceId=wb1&newSign=${'A'.repeat(40)}`, 400, true],
    [
      'the orderNo',
      (orderNo: string) => `code=0&orderNo=${orderNo}%00&h5faceId=wb1&newSign=${'A'.repeat(40)}`,
      400,
      true,
    ],
    // A signature value is never stored, only "[present]".
    [
      'the signature',
      (orderNo: string) => `code=0&orderNo=${orderNo}&h5faceId=wb1&newSign=%00${'A'.repeat(39)}`,
      400,
      false,
    ],
    ['an extra parameter', (orderNo: string) => `${genuine(orderNo).toString()}&liveRate=9%009%01%1b%7f`, 302, true],
    [
      'a forged extra parameter',
      (orderNo: string) => `code=0&orderNo=${orderNo}&h5faceId=wb1&newSign=${'A'.repeat(40)}&x=%00`,
      403,
      true,
    ],
  ])(
    'when %s carries a NUL byte, then the attempt is answered and recorded with the characters escaped',
    async (_what, build, status, kept) => {
      const orderNo = uid('nul');
      const res = await get(build(orderNo));
      expect(res.status).toBe(status);
      const events = await h.db.callbackEvent.findMany({
        where: { appId: h.cfg.WEBANK_APP_ID, clientIp: { not: null } },
        orderBy: { id: 'desc' },
        take: 1,
      });
      const ev = events[0]!;
      const stored = JSON.stringify(ev.params);
      expect(stored).toContain(orderNo);
      // Neither the byte nor JSON's escape of it (a backslash-u not itself escaped) is stored.
      expect(stored).not.toMatch(/(^|[^\\])\\u0000|\u0000/);
      if (kept) expect(stored).toMatch(/\\\\u0000/); // the escaped text "\u0000" is what is kept
    },
  );

  test('when the app key is unknown and a value carries a NUL byte, then 404 and the attempt is recorded', async () => {
    const marker = uid('m');
    const res = await get(`code=0&orderNo=${marker}%00`, `${h.cfg.CALLBACK_PATH}/nosuchapp`);
    expect(res.status).toBe(404);
    const ev = await h.db.callbackEvent.findFirst({
      where: { appId: null, verdict: 'invalid' },
      orderBy: { id: 'desc' },
    });
    expect(JSON.stringify(ev?.params)).toContain(marker);
  });
});
