import { TicketReader } from '../../../src/shared/webank/tickets/ticket-reader';
import { KeeperHarness, sleep } from './harness';

const db = KeeperHarness.db();
let h: KeeperHarness;

beforeEach(async () => {
  h = await new KeeperHarness(db).start();
});
afterEach(() => h.close());
afterAll(() => db.$disconnect());

describe('TicketKeeper lifecycle', () => {
  test('when the ticket rotates, then the old one verifies within the grace period and not after', async () => {
    const k = h.keeper({ graceMs: 600 });
    await k.start();
    const old = await k.currentTicket(h.appId);
    h.sim.rotateTickets(h.appId);
    expect(await k.refreshNow(h.appId, 'rotation')).toBe('refreshed');
    const fresh = await k.currentTicket(h.appId);
    expect(fresh).not.toBe(old);
    expect(fresh).toBe(h.sim.currentTicket(h.appId)); // used at once

    expect(await k.ticketsValidAround(h.appId, new Date())).toEqual([
      { value: fresh, label: 'current' },
      { value: old, label: 'previous-1' },
    ]);
    await sleep(750);
    expect(await k.ticketsValidAround(h.appId, new Date())).toEqual([{ value: fresh, label: 'current' }]);
  });

  test('when a new keeper starts while the stored ticket is valid, then it makes no WeBank call, even with the Redis copy gone', async () => {
    const first = h.keeper();
    await first.start();
    const held = await first.currentTicket(h.appId);
    await first.stop();

    const second = h.keeper();
    await second.start();
    expect(await second.currentTicket(h.appId)).toBe(held);

    const redis = await h.readyRedis();
    await redis.del(`${h.keyPrefix}:current:${h.appId}`);
    const third = h.keeper();
    await third.start();
    expect(await third.currentTicket(h.appId)).toBe(held);
    expect(await redis.exists(`${h.keyPrefix}:current:${h.appId}`)).toBe(1); // repopulated from PostgreSQL
    expect(await redis.get(`${h.keyPrefix}:current:${h.appId}`)).not.toContain(held); // sealed
    expect(h.tokenCalls()).toBe(1);
    expect(h.ticketCalls()).toBe(1);
  });

  test('when stop() is called during a refresh, then it waits for the refresh to finish and releases the lock', async () => {
    const k = h.keeper();
    h.sim.setFaults({ latencyMs: 300, paths: ['/api/oauth2/api_ticket'] });
    const starting = k.start();
    await sleep(100);
    await k.stop();
    await starting;
    expect(h.ticketCalls()).toBe(1);
    expect(await db.ticket.count({ where: { appId: h.appId } })).toBe(1);
    const redis = await h.readyRedis();
    expect(await redis.exists(`${h.keyPrefix}:lock:${h.appId}`)).toBe(0);
    expect(await k.refreshNow(h.appId, 'after stop')).toBe('stopped');
  });

  test('when the access_token dies before the ticket would, then the ticket is held valid only as long as the token', async () => {
    await h.close();
    h = await new KeeperHarness(db).start({ accessTokenTtlMs: 3000 });
    const k = h.keeper();
    await k.start();
    const s = (await k.status())[h.appId];
    expect(s?.hasValidTicket).toBe(true);
    expect(s?.validForSeconds).toBeLessThanOrEqual(3);
  });

  test('when DATA_ENCRYPTION_KEY changed, then the old sealed tickets are ignored and a new one is obtained at once', async () => {
    await h.keeper().start();
    const rotatedKey = Buffer.alloc(32, 9);
    const k = h.keeper({ dataKey: rotatedKey });
    await k.start();
    expect(h.tokenCalls()).toBe(2);
    expect(await k.currentTicket(h.appId)).toBe(h.sim.currentTicket(h.appId));
    expect(await k.ticketsValidAround(h.appId, new Date())).toEqual([
      { value: h.sim.currentTicket(h.appId), label: 'current' },
    ]);
  });

  test("when the web process reads through TicketReader, then it sees the keeper's ticket and never calls WeBank", async () => {
    const k = h.keeper();
    await k.start();
    h.sim.clearRequests();
    const reader = new TicketReader({
      db,
      redis: await h.readyRedis(),
      dataKey: h.key,
      keyPrefix: h.keyPrefix,
      graceMs: 600,
    });
    expect(await reader.currentTicket(h.appId)).toBe(await k.currentTicket(h.appId));
    expect((await reader.ticketsValidAround(h.appId, new Date()))[0]?.label).toBe('current');
    await expect(reader.currentTicket('TIDAunknown')).rejects.toThrow(/no valid SIGN ticket/);
    expect(h.sim.requests()).toHaveLength(0);
  });
});
