import { registerExpectedOrder } from '../../src/shared/orders/registration';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

describe('orders that never come back', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({
      env: {
        ARCHIVE_POLL_INTERVAL_MS: '200',
        RECOVERY_INTERVAL_MS: '100',
        RECOVERY_QUIET_MINUTES: String(1 / 60), // 1 s
        RECOVERY_WINDOW_HOURS: String(6 / 3600), // 6 s
      },
    });
  });
  afterAll(async () => p.close());

  const app = () => p.cfg.apps[0]!;
  const order = (orderNo: string) =>
    p.web.db.order.findUniqueOrThrow({
      where: { appId_orderNo: { appId: p.appId, orderNo } },
      include: { evidence: true, timeline: { orderBy: { id: 'asc' } }, events: true },
    });
  const lookups = (orderNo: string) =>
    p.sim.requests({ path: '/api/server/sync' }).filter((r) => r.query.order_no === orderNo);

  test('when a registered user passes but never returns, then the sweeper recovers the result and archives the evidence', async () => {
    const orderNo = uid('rc');
    const { created } = await registerExpectedOrder(p.web.db, p.cfg, app(), { orderNo, userRef: 'user-42' });
    expect(created).toBe(true);
    expect((await registerExpectedOrder(p.web.db, p.cfg, app(), { orderNo })).created).toBe(false);
    p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass' });

    const done = await eventually(async () => {
      const o = await order(orderNo);
      return o.status === 'ARCHIVED' ? o : undefined;
    }, 15_000);
    expect(done.recoveredAt).not.toBeNull();
    expect(done.verifiedAt).toBeNull();
    expect(done.evidence.map((e) => e.kind).sort()).toEqual(['photo', 'video']);
    expect(done.timeline.map((e) => e.type)).toContain('recovered');
    const audit = await p.web.db.auditEntry.findMany({ where: { orderNo, action: 'recover' } });
    expect(audit).toHaveLength(1);

    // The browser finally comes back: the callback is verified and recorded, nothing archived twice.
    const before = lookups(orderNo).length;
    expect((await redirectBack(p, orderNo)).status).toBe(302);
    const after = await order(orderNo);
    expect(after.events.map((e) => e.verdict)).toEqual(['late']);
    expect(after.status).toBe('ARCHIVED');
    expect(after.evidence).toEqual(done.evidence);
    await new Promise((r) => setTimeout(r, 1000));
    expect(lookups(orderNo).length).toBe(before);
    expect(await p.web.queue.getJobs(['waiting', 'active', 'delayed'])).toHaveLength(0);
  });

  test('when WeBank never has a result, then the order is looked up on a widening schedule and expires after the window', async () => {
    const orderNo = uid('rx');
    const startedAt = new Date();
    await registerExpectedOrder(p.web.db, p.cfg, app(), { orderNo, startedAt });
    const expired = await eventually(async () => {
      const o = await order(orderNo);
      return o.status === 'EXPIRED' ? o : undefined;
    }, 15_000);
    expect(expired.lastError).toMatch(/window/);
    const times = lookups(orderNo).map((r) => r.at.getTime());
    // quiet 1 s, then gaps of about 1, 2, 4 s (±10 %) within a 6 s window: never more often.
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times.length).toBeLessThanOrEqual(4);
    expect(times[0]! - startedAt.getTime()).toBeGreaterThanOrEqual(900);
    for (let i = 1; i < times.length; i++)
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(0.9 * 1000 * 2 ** (i - 1) - 50);
    expect(await p.web.db.auditEntry.count({ where: { orderNo, action: 'expire' } })).toBe(1);
  });

  test('when the user comes back before the sweeper looks, then the registered order is archived from the callback, not recovered', async () => {
    const orderNo = uid('rb');
    await registerExpectedOrder(p.web.db, p.cfg, app(), { orderNo, startedAt: new Date(Date.now() + 60_000) });
    p.sim.createScan({ appId: p.appId, orderNo });
    await redirectBack(p, orderNo);
    const o = await eventually(async () => {
      const x = await order(orderNo);
      return x.status === 'ARCHIVED' ? x : undefined;
    });
    expect(o.source).toBe('REGISTRATION');
    expect(o.verifiedAt).not.toBeNull();
    expect(o.recoveredAt).toBeNull();
    expect(o.events.map((e) => e.verdict)).toEqual(['accepted']);
  });
});
