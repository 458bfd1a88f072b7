import { captureLogs } from '../../support/log-capture';
import { ThrowawayRedis } from '../../support/throwaway-redis';
import { createRedis } from '../../../src/shared/platform/redis';
import { NoValidTicketError } from '../../../src/shared/webank/tickets/ticket-store';
import { KeeperHarness, waitFor } from './harness';

const db = KeeperHarness.db();
let h: KeeperHarness;

beforeEach(async () => {
  h = await new KeeperHarness(db).start();
});
afterEach(() => h.close());
afterAll(() => db.$disconnect());

describe('TicketKeeper when WeBank refuses', () => {
  test('when WeBank answers 5xx, then the current ticket stays in service and a later retry succeeds', async () => {
    const k = h.keeper({ retryBaseMs: 200, retryMaxMs: 400 });
    await k.start();
    const before = await k.currentTicket(h.appId);
    h.sim.rotateTickets(h.appId);
    h.sim.setFaults({ http5xxRate: 1, paths: ['/api/oauth2/access_token'] });

    expect(await k.refreshNow(h.appId, 'test')).toBe('failed');
    expect(await k.currentTicket(h.appId)).toBe(before);
    const failing = (await k.status())[h.appId];
    expect(failing).toMatchObject({ hasValidTicket: true, consecutiveFailures: 1, lastError: { code: 'HTTP 503' } });

    h.sim.clearFaults();
    await waitFor(async () => (await k.status())[h.appId]?.consecutiveFailures === 0, 3000, 'a successful retry');
    expect(await k.currentTicket(h.appId)).toBe(h.sim.currentTicket(h.appId));
    expect(await k.currentTicket(h.appId)).not.toBe(before);
  });

  test('when the secret is wrong, then a warning carries WeBank code and msg, the old ticket is kept and no secret is logged', async () => {
    await h.keeper().start(); // a ticket obtained with the right secret
    const held = await h.keeper().currentTicket(h.appId);
    const logs = captureLogs();
    try {
      const wrongSecret = 'wrong-secret-value-0123456789';
      const k = h.keeper({ apps: [{ appId: h.appId, secret: wrongSecret }] });
      h.sim.rotateTickets(h.appId);
      expect(await k.refreshNow(h.appId, 'operator')).toBe('failed');
      expect(await k.currentTicket(h.appId)).toBe(held);
      expect((await k.status())[h.appId]).toMatchObject({ hasValidTicket: true, lastError: { code: '400104' } });
      const warning = logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.component === 'tickets' && l.code === '400104');
      expect(warning).toMatchObject({
        level: 'warn',
        component: 'tickets',
        appId: h.appId,
        path: '/api/oauth2/access_token',
        hasValidTicket: true,
      });
      expect(typeof warning?.msg).toBe('string');
      expect(logs.lines.join('\n')).not.toContain(wrongSecret);
    } finally {
      logs.stop();
    }
  });

  test('when no valid ticket remains, then currentTicket throws NoValidTicketError, health says so and the log is an error', async () => {
    const logs = captureLogs();
    try {
      const k = h.keeper({ apps: [{ appId: h.appId, secret: 'not-the-secret' }] });
      await k.start();
      await expect(k.currentTicket(h.appId)).rejects.toBeInstanceOf(NoValidTicketError);
      const s = (await k.status())[h.appId];
      expect(s).toMatchObject({
        hasValidTicket: false,
        ticketAgeSeconds: null,
        consecutiveFailures: 1,
        lastError: { code: '400104' },
      });
      expect(logs.lines.some((l) => l.includes('"level":"error"') && l.includes('no valid ticket remains'))).toBe(true);
      await waitFor(async () => ((await k.status())[h.appId]?.consecutiveFailures ?? 0) >= 2, 3000, 'retries');
    } finally {
      logs.stop();
    }
  });

  test('when refreshing, failing and refreshing again, then no secret, access_token or ticket value reaches the logs', async () => {
    const logs = captureLogs();
    const values = new Set<string>([h.secret]);
    try {
      const k = h.keeper();
      await k.start();
      values.add(await k.currentTicket(h.appId));
      h.sim.rotateTickets(h.appId);
      h.sim.setFaults({ malformedJsonRate: 1, paths: ['/api/oauth2/api_ticket'] });
      await k.refreshNow(h.appId, 'test');
      h.sim.clearFaults();
      h.sim.rotateTickets(h.appId);
      await k.refreshNow(h.appId, 'test');
      values.add(await k.currentTicket(h.appId));
      for (const r of h.sim.requests({ path: '/api/oauth2/api_ticket' })) values.add(r.query.access_token ?? '');
      values.delete('');
    } finally {
      logs.stop();
    }
    expect(values.size).toBeGreaterThanOrEqual(5); // secret, two tickets, at least two access_tokens
    // Every line, the simulator's (a test double, but its lines go through the same logger) included.
    const text = logs.lines.join('\n');
    expect(text).toContain('SIGN ticket refreshed');
    expect(text).toContain('SIGN ticket refresh failed');
    for (const v of values) expect(text).not.toContain(v);
  });
});

describe('TicketKeeper when Redis is down', () => {
  test('when Redis goes away, then tickets are served from PostgreSQL and a refresh still happens under a PostgreSQL lock', async () => {
    const redisServer = await ThrowawayRedis.start();
    const redis = createRedis(redisServer.url, 'producer', 'ticket-test-down');
    try {
      const k = h.keeper({ redis, retryBaseMs: 200, retryMaxMs: 400 });
      const other = h.keeper({ redis, retryBaseMs: 200, retryMaxMs: 400 });
      await k.start();
      const held = await k.currentTicket(h.appId);

      await redisServer.down();
      expect(await k.currentTicket(h.appId)).toBe(held);
      expect(await k.ticketsValidAround(h.appId, new Date())).toEqual([{ value: held, label: 'current' }]);
      h.sim.rotateTickets(h.appId);
      const calls = h.sim.requests({ path: '/api/oauth2/api_ticket' }).length;
      // Two replicas at once: the advisory lock lets one refresh; the other shares its ticket, or (when
      // the first had already finished by the time it looked, as on a loaded machine) finds it fresh.
      const outcomes = await Promise.all([k.refreshNow(h.appId, 'test'), other.refreshNow(h.appId, 'test')]);
      expect(outcomes.filter((o) => o === 'refreshed')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'shared' || o === 'fresh')).toHaveLength(1);
      expect(h.sim.requests({ path: '/api/oauth2/api_ticket' }).length - calls).toBe(1);
      expect(await k.currentTicket(h.appId)).toBe(h.sim.currentTicket(h.appId));
      await other.stop();

      await redisServer.up();
      h.sim.rotateTickets(h.appId);
      expect(await k.refreshNow(h.appId, 'test')).toBe('refreshed');
      await waitFor(
        async () => (await k.currentTicket(h.appId)) === h.sim.currentTicket(h.appId),
        8000,
        'a refresh after Redis returns',
      );
    } finally {
      redis.disconnect();
      await redisServer.down();
    }
  });
});
