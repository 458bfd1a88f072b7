import { callbackSign } from '../../../src/shared/webank/signature';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../../support/pipeline';
import { uid } from '../../support/web-harness';

/**
 * Issue 15, item 2: WeBank's callback signature sorts the values and joins them with no
 * separator, so a genuine signature also signs every other (orderNo, code) pair whose sorted
 * concatenation is the same string. Only WeBank's own code formats are accepted, and the
 * archiver's query — not the first redirect — decides an order's outcome.
 */
describe('replaying a genuine signature with the orderNo/code boundary shifted', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // Re-reads of the SIGN ticket at most once a second (a minute in production): the last test
    // rotates WeBank's ticket and lets the web learn it.
    p = await startPipeline({ env: { TICKET_REREAD_MIN_GAP_SECONDS: '1', TICKET_REREAD_PER_IP: '100' } });
    await eventually(async () => (await p.web.tickets.current(p.appId)) !== undefined);
  }, 60_000);
  afterAll(async () => p.close());

  function send(orderNo: string, code: string, sig: string): Promise<Response> {
    const q = new URLSearchParams({ code, orderNo, h5faceId: 'wb1', newSignature: sig, newSign: sig });
    // Each attempt from its own address: refused attempts from one address fold into one event.
    const ip = `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.7`;
    return fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${q}`, { redirect: 'manual', headers: { 'x-forwarded-for': ip } });
  }

  function outcomeOf(res: Response): string | null {
    return new URL(res.headers.get('location') ?? 'http://x/').searchParams.get('outcome');
  }

  test.each([
    ['0123', '0100'],
    ['123', '01000'],
    ['0', '1000123'],
  ])(
    'when order 1000123 code 0 is replayed as orderNo %s code %s, then 400 and nothing is recorded for it',
    async (orderNo, code) => {
      const sig = callbackSign({ appId: p.appId, orderNo: '1000123', code: '0', ticket: p.sim.currentTicket(p.appId) });
      // The attack's premise: the same signature covers the shifted pair.
      expect(callbackSign({ appId: p.appId, orderNo, code, ticket: p.sim.currentTicket(p.appId) })).toBe(sig);
      const res = await send(orderNo, code, sig);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/code/);
      expect(await p.web.db.order.findUnique({ where: { appId_orderNo: { appId: p.appId, orderNo } } })).toBeNull();
      const ev = await p.web.db.callbackEvent.findFirst({
        where: { appId: p.appId, orderNo },
        orderBy: { id: 'desc' },
      });
      expect(ev?.verdict).toBe('invalid');
    },
  );

  test("when the attacker's own order 45000777 is replayed as code=04&orderNo=5000777, then refused, and the victim's pass is verified and archived", async () => {
    p.sim.createScan({ appId: p.appId, orderNo: '45000777' });
    const own = p.sim.callbackQuery(p.appId, '45000777');
    expect((await redirectBack(p, '45000777')).status).toBe(302);
    const forged = await send('5000777', '04', own.newSign!);
    expect(forged.status).toBe(400);
    p.sim.createScan({ appId: p.appId, orderNo: '5000777' });
    const victim = await redirectBack(p, '5000777');
    expect(victim.status).toBe(302);
    expect(outcomeOf(victim)).toBe('verified');
    const order = await eventually(async () => {
      const o = await p.web.db.order.findUnique({ where: { appId_orderNo: { appId: p.appId, orderNo: '5000777' } } });
      return o?.status === 'ARCHIVED' ? o : undefined;
    }, 30_000);
    expect(order.resultCode).toBe('0');
  }, 60_000);

  test("when a shift still fits WeBank's formats and reaches the victim's order first, then the victim sees 'checking', never 'failed', and WeBank's answer decides", async () => {
    // Attacker's order P+"66660015" passed (code 0): the same bytes sign orderNo "0"+P with code 66660015.
    const attacker = `00${uid().slice(0, 6)}66660015`.replace(/[a-f]/g, '1');
    const victim = `0${attacker.slice(0, -8)}`;
    // The shift works when the ticket sorts after "66660015" (it does not if it starts with 0–6):
    // rotate WeBank's ticket until it does, and let the web learn it from a genuine redirect.
    while (/^[0-6]/.test(p.sim.currentTicket(p.appId))) p.sim.rotateTickets(p.appId);
    await eventually(
      async () => {
        const probe = uid('probe');
        p.sim.createScan({ appId: p.appId, orderNo: probe });
        return (await redirectBack(p, probe)).status === 302;
      },
      15_000,
      1100,
    );
    const ticket = p.sim.currentTicket(p.appId);
    // The victim has not finished the scan yet when the forgery arrives: WeBank has no result.
    p.sim.createScan({ appId: p.appId, orderNo: victim, finishedAt: new Date(Date.now() + 3600_000) });
    p.sim.createScan({ appId: p.appId, orderNo: attacker });
    const own = p.sim.callbackQuery(p.appId, attacker);
    expect(callbackSign({ appId: p.appId, orderNo: victim, code: '66660015', ticket })).toBe(own.newSign!);
    const forged = await send(victim, '66660015', own.newSign!);
    expect(forged.status).toBe(302); // the signature is WeBank's: it cannot be told from a real failure
    await eventually(async () => {
      const o = await p.web.db.order.findUnique({ where: { appId_orderNo: { appId: p.appId, orderNo: victim } } });
      return o?.status === 'NO_RESULT';
    }, 30_000);
    // The victim finishes and passes; the browser comes back with WeBank's genuine redirect.
    p.sim.createScan({ appId: p.appId, orderNo: victim });
    const real = await redirectBack(p, victim);
    expect(real.status).toBe(302);
    expect(outcomeOf(real)).toBe('checking');
    const ev = await p.web.db.callbackEvent.findFirst({
      where: { appId: p.appId, orderNo: victim, code: '0' },
      orderBy: { id: 'desc' },
    });
    expect(ev?.verdict).toBe('conflict');
    // WeBank's query, not the first redirect, decides: the real pass is archived.
    const order = await eventually(async () => {
      const o = await p.web.db.order.findUnique({ where: { appId_orderNo: { appId: p.appId, orderNo: victim } } });
      return o?.status === 'ARCHIVED' ? o : undefined;
    }, 30_000);
    expect(order.resultCode).toBe('0');
    // Once WeBank has answered, a repeat of the redirect shows its outcome.
    expect(outcomeOf(await redirectBack(p, victim))).toBe('verified');
  }, 90_000);
});
