import { callbackSign } from '../../src/shared/webank/signature';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

describe('callbacks signed with a ticket newer than ours', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // A short re-read gap (WeBank-scale is a minute) so the last test can see the gap pass.
    p = await startPipeline({
      env: { ARCHIVE_POLL_INTERVAL_MS: '200', TICKET_REREAD_MIN_GAP_SECONDS: '3', TICKET_REREAD_PER_IP: '100' },
    });
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

  test('when forged callbacks arrive in a burst, then none is accepted and they do not re-read the ticket each time', async () => {
    await new Promise((r) => setTimeout(r, 3200)); // the previous test's re-read slot is over
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
    // Refused once a re-read showed WeBank's ticket is ours; while the re-read allowance is spent,
    // "cannot tell yet" (503): never accepted either way.
    expect(forged.every((s) => s === 403 || s === 503)).toBe(true);
    expect(forged).toContain(403);
    expect(p.sim.requests({ path: '/api/oauth2/api_ticket' }).length - before).toBeLessThanOrEqual(1);
  });

  test('when forgeries have spent the re-read allowance and WeBank then rotates the ticket, then a genuine callback is deferred (503), never refused, and accepted on retry once a re-read is allowed', async () => {
    const forge = async () => {
      const orderNo = uid('fg');
      const q = new URLSearchParams({
        code: '0',
        orderNo,
        h5faceId: 'h',
        newSign: callbackSign({ appId: p.appId, orderNo, ticket: 'guess', code: '0' }),
      });
      return (await fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${q}`, { redirect: 'manual' })).status;
    };
    await new Promise((r) => setTimeout(r, 3200)); // the previous test's re-read slot is over
    expect(await forge()).toBe(403); // takes this gap's re-read: WeBank's ticket is still ours
    p.sim.rotateTickets(p.appId);
    const orderNo = uid('rot');
    p.sim.createScan({ appId: p.appId, orderNo });

    const first = await redirectBack(p, orderNo);
    expect(first.status).toBe(503); // cannot tell yet: the user's page retries
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    const later = await eventually(
      async () => {
        const res = await redirectBack(p, orderNo);
        return res.status === 503 ? undefined : res;
      },
      15_000,
      500,
    );
    expect(later.status).toBe(302);
    expect(new URL(later.headers.get('location')!).searchParams.get('outcome')).toBe('verified');
    const events = await p.web.db.callbackEvent.findMany({ where: { appId: p.appId, orderNo } });
    expect(events.map((e) => e.verdict).sort()).toEqual(expect.arrayContaining(['accepted', 'unverifiable']));
    expect(events.map((e) => e.verdict)).not.toContain('rejected');
  }, 40_000);
});
