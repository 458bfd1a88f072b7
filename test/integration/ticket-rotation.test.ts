import { callbackSign } from '../../src/shared/webank/signature';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

describe('callbacks signed with a ticket newer than ours', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ env: { ARCHIVE_POLL_INTERVAL_MS: '200' } });
    // The workers' keeper has fetched a ticket: wait until the web can see one.
    await eventually(async () => (await p.web.tickets.current(p.appId)) !== undefined);
  });
  afterAll(async () => p.close());

  test('when WeBank rotated the ticket without us, then the callback re-reads the ticket once (no new token), verifies and is archived', async () => {
    const ours = (await p.web.tickets.current(p.appId))!.value;
    p.sim.rotateTickets(p.appId);
    const orderNo = uid('rot');
    p.sim.createScan({ appId: p.appId, orderNo });
    const before = p.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
    const tokens = p.sim.requests({ path: '/api/oauth2/access_token' }).length;

    const res = await redirectBack(p, orderNo);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('outcome')).toBe('verified');
    expect((await p.web.tickets.current(p.appId))!.value).not.toBe(ours);
    expect(p.sim.requests({ path: '/api/oauth2/api_ticket' }).length - before).toBe(1);
    expect(p.sim.requests({ path: '/api/oauth2/access_token' }).length - tokens).toBe(0);
    const order = await eventually(async () => {
      const o = await p.web.db.order.findUnique({
        where: { appId_orderNo: { appId: p.appId, orderNo } },
        include: { events: true },
      });
      return o?.status === 'ARCHIVED' ? o : undefined;
    });
    expect(order.events[0]?.verdict).toBe('accepted');
  });

  test('when forged callbacks arrive in a burst, then they are refused and do not refresh the ticket each time', async () => {
    const before = p.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
    const forged = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const orderNo = uid('fg');
        const q = new URLSearchParams({
          code: '0',
          orderNo,
          h5faceId: 'h',
          newSign: callbackSign({ appId: p.appId, orderNo, ticket: 'guess', code: '0' }),
        });
        return (await fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${q}`, { redirect: 'manual' })).status;
      }),
    );
    expect(forged.every((s) => s === 403)).toBe(true);
    expect(p.sim.requests({ path: '/api/oauth2/api_ticket' }).length - before).toBeLessThanOrEqual(1);
  });
});
