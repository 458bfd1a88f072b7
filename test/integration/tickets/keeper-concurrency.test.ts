import { acquireLock } from '../../../src/shared/platform/redis-lock';
import { KeeperHarness, waitFor } from './harness';

const db = KeeperHarness.db();
let h: KeeperHarness;

beforeEach(async () => {
  h = await new KeeperHarness(db).start();
});
afterEach(() => h.close());
afterAll(() => db.$disconnect());

describe('TicketKeeper across replicas', () => {
  test('when two keepers start together, then exactly one access_token and one api_ticket call are made and both serve that ticket', async () => {
    const a = h.keeper();
    const b = h.keeper();
    await Promise.all([a.start(), b.start()]);
    expect(h.tokenCalls()).toBe(1);
    expect(h.ticketCalls()).toBe(1);
    const expected = h.sim.currentTicket(h.appId);
    expect(await a.currentTicket(h.appId)).toBe(expected);
    expect(await b.currentTicket(h.appId)).toBe(expected);
  });

  test('when a holder died holding the lock, then another keeper refreshes once the lock expires', async () => {
    const redis = await h.readyRedis();
    const dead = await acquireLock(redis, `${h.keyPrefix}:lock:${h.appId}`, 1200);
    expect(dead).toBeDefined(); // a foreign token nobody will release or extend
    const lockedAt = Date.now();
    const k = h.keeper({ lockTtlMs: 800 });
    await k.start();
    const [call] = h.sim.requests({ path: '/api/oauth2/access_token' });
    expect(call).toBeDefined();
    expect(call!.at.getTime() - lockedAt).toBeGreaterThanOrEqual(1100);
    expect(await k.currentTicket(h.appId)).toBe(h.sim.currentTicket(h.appId));
    expect(h.tokenCalls()).toBe(1);
  });

  test('when refreshNow is called in a burst on two replicas, then one refresh happens', async () => {
    const a = h.keeper();
    const b = h.keeper();
    await a.start();
    await b.start();
    h.sim.clearRequests();
    const outcomes = await Promise.all([
      ...Array.from({ length: 10 }, () => a.refreshNow(h.appId, 'test burst')),
      ...Array.from({ length: 10 }, () => b.refreshNow(h.appId, 'test burst')),
    ]);
    expect(h.tokenCalls()).toBe(1);
    expect(h.ticketCalls()).toBe(1);
    expect(outcomes.filter((o) => o === 'refreshed')).toHaveLength(10); // one replica's shared promise
    expect(new Set(outcomes)).toEqual(new Set(['refreshed', 'shared']));
  });

  test('when refreshNow names a ticket another replica already replaced, then it does not refresh again', async () => {
    const a = h.keeper();
    const b = h.keeper();
    await Promise.all([a.start(), b.start()]);
    const old = await a.currentTicket(h.appId);
    h.sim.rotateTickets(h.appId);
    expect(await a.refreshNow(h.appId, 'sign refused', { rejectedTicket: old })).toBe('refreshed');
    h.sim.clearRequests();
    expect(await b.refreshNow(h.appId, 'sign refused', { rejectedTicket: old })).toBe('fresh');
    expect(h.tokenCalls()).toBe(0);
    expect(await b.currentTicket(h.appId)).toBe(h.sim.currentTicket(h.appId));
  });

  test('when the schedule comes due, then the keeper refreshes on its own and early within the safety margin', async () => {
    await h.close();
    // Tickets that live about 2 s: the margin (capped at half a ticket's life) brings refreshes forward.
    h = await new KeeperHarness(db).start({ ticketPeriodMs: 1500, ticketGraceMs: 500 });
    const k = h.keeper({ refreshIntervalMs: 60_000, safetyMarginMs: 60_000 });
    await k.start();
    const first = await k.currentTicket(h.appId);
    await waitFor(() => h.tokenCalls() >= 2, 4000, 'a scheduled refresh');
    await waitFor(async () => (await k.currentTicket(h.appId)) !== first, 4000, 'a new ticket');
    const s = (await k.status())[h.appId];
    expect(s).toMatchObject({ hasValidTicket: true, consecutiveFailures: 0, lastError: null });
    expect(s?.nextCheckAt).not.toBeNull();
  });
});
