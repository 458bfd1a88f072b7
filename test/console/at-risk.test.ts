import { registerExpectedOrder } from '../../src/shared/orders/registration';
import { call, createUser, login, startConsole, uid, type ConsoleHarness } from './harness';

describe('orders at risk', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsole();
  });
  afterAll(async () => h.close());

  test("when registered orders near the end of WeBank's window have no evidence, then they are listed most urgent first with the counts", async () => {
    const app = h.cfg.apps[0]!;
    const hour = 3600_000;
    const urgent = uid('risk');
    const later = uid('risk');
    const fresh = uid('fresh');
    await registerExpectedOrder(h.db, h.cfg, app, { orderNo: later, startedAt: new Date(Date.now() - 60 * hour) });
    await registerExpectedOrder(h.db, h.cfg, app, { orderNo: urgent, startedAt: new Date(Date.now() - 70 * hour) });
    await registerExpectedOrder(h.db, h.cfg, app, { orderNo: fresh, startedAt: new Date(Date.now() - 1 * hour) });

    const viewer = await login(h, await createUser(h, 'viewer'));
    const res = await call(h, viewer, 'GET', '/api/orders-at-risk');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      orders: { orderNo: string; hoursLeft: number }[];
      registered: Record<string, number>;
    };
    const mine = body.orders.filter((o) => [urgent, later, fresh].includes(o.orderNo));
    expect(mine.map((o) => o.orderNo)).toEqual([urgent, later]);
    expect(mine[0]!.hoursLeft).toBeGreaterThan(1.5);
    expect(mine[0]!.hoursLeft).toBeLessThan(2.5);
    expect(body.registered.expected).toBeGreaterThanOrEqual(3);

    const page = await call(h, viewer, 'GET', '/at-risk', { headers: { accept: 'text/html' } });
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).toContain(urgent);
    expect(text).not.toContain(fresh);
  });
});
