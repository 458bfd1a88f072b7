import { randomUUID } from 'node:crypto';
import { createDb, type Db } from '../../src/shared/platform/db';
import { seal } from '../../src/shared/platform/sealed';
import { NoValidTicketError, TicketStore } from '../../src/shared/webank/tickets/ticket-store';

// The ticket history against the real PostgreSQL: which tickets may have signed a callback at a
// given moment (the grace window), and which one is current. Each test uses its own app id.
const key = Buffer.alloc(32, 5);
const otherKey = Buffer.alloc(32, 6);
const T = new Date('2026-06-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T.getTime() + seconds * 1000);

let db: Db;
let store: TicketStore;
const apps: string[] = [];
const newApp = () => {
  const app = `mut-${randomUUID().slice(0, 8)}`;
  apps.push(app);
  return app;
};

beforeAll(() => {
  db = createDb(process.env.DATABASE_URL!, 2);
  store = new TicketStore(db, key);
});
afterAll(async () => {
  await db.ticket.deleteMany({ where: { appId: { in: apps } } });
  await db.$disconnect();
});

describe('the grace window (validAround)', () => {
  test('when a ticket was superseded less than the grace before, then it is a candidate after the current one; one superseded earlier is not', async () => {
    const app = newApp();
    await store.save(app, 'old-ticket', 7200, at(-3600)); // superseded at -61 s: outside
    await store.save(app, 'previous-ticket', 7200, at(-61)); // superseded at -59 s: inside
    await store.save(app, 'current-ticket', 7200, at(-59));
    expect(await store.validAround(app, T, 60)).toEqual([
      { value: 'current-ticket', label: 'current' },
      { value: 'previous-ticket', label: 'previous-1' },
    ]);
    // A wider grace reaches back to the old one; a narrower one keeps only the current.
    expect((await store.validAround(app, T, 62)).map((c) => c.value)).toEqual([
      'current-ticket',
      'previous-ticket',
      'old-ticket',
    ]);
    expect(await store.validAround(app, T, 58)).toEqual([{ value: 'current-ticket', label: 'current' }]);
  });

  test('when a ticket was obtained up to 5 s after the moment (clock skew), then it counts; later, it does not', async () => {
    const app = newApp();
    await store.save(app, 'before', 7200, at(-600));
    await store.save(app, 'skewed', 7200, at(4));
    await store.save(app, 'after', 7200, at(6));
    expect((await store.validAround(app, T, 60)).map((c) => c.value)).toEqual(['skewed', 'before']);
    // `after` is newest but not a candidate, so the first one found was superseded: not `current`.
    expect((await store.validAround(app, T, 60))[0]).toEqual({ value: 'skewed', label: 'previous-0' });
  });

  test('when the current ticket expired, then it stays a candidate for the grace after its end, not longer', async () => {
    const app = newApp();
    await store.save(app, 'expiring', 100, at(-159)); // valid until -59 s
    expect(await store.validAround(app, T, 60)).toEqual([{ value: 'expiring', label: 'current' }]);
    expect(await store.validAround(app, T, 58)).toEqual([]);
    expect(await store.validAround(app, at(-59), 0)).toEqual([]);
    expect(await store.validAround(app, at(-60), 0)).toEqual([{ value: 'expiring', label: 'current' }]);
  });

  test('when WeBank handed back the ticket already held, then it is one candidate, not two', async () => {
    const app = newApp();
    await store.save(app, 'same', 7200, at(-30));
    await store.save(app, 'same', 7200, at(-10));
    expect(await store.validAround(app, T, 60)).toEqual([{ value: 'same', label: 'current' }]);
  });

  test('when many tickets fall in the window, then the newest five are candidates, labelled in order', async () => {
    const app = newApp();
    for (let i = 7; i >= 1; i--) await store.save(app, `t${i}`, 7200, at(-i));
    expect(await store.validAround(app, T, 60)).toEqual([
      { value: 't1', label: 'current' },
      { value: 't2', label: 'previous-1' },
      { value: 't3', label: 'previous-2' },
      { value: 't4', label: 'previous-3' },
      { value: 't5', label: 'previous-4' },
    ]);
  });

  test('when a ticket was sealed with another data key, then it is skipped, not offered undecryptable', async () => {
    const app = newApp();
    await new TicketStore(db, otherKey).save(app, 'foreign', 7200, at(-20));
    await store.save(app, 'ours', 7200, at(-10));
    expect(await store.validAround(app, T, 60)).toEqual([{ value: 'ours', label: 'current' }]);
    await new TicketStore(db, otherKey).save(app, 'foreign-newer', 7200, at(-5));
    expect(await store.validAround(app, T, 60)).toEqual([{ value: 'ours', label: 'previous-0' }]);
  });

  test('when two replicas saved at once (two rows not superseded), then only the newest is `current`', async () => {
    const app = newApp();
    for (const [value, s] of [
      ['a', -20],
      ['b', -10],
    ] as const) {
      await db.ticket.create({
        data: { appId: app, valueSealed: seal(value, key), valueHash: value, obtainedAt: at(s), validUntil: at(7200) },
      });
    }
    expect(await store.validAround(app, T, 60)).toEqual([
      { value: 'b', label: 'current' },
      { value: 'a', label: 'previous-1' },
    ]);
  });

  test('when another app holds tickets, then they are not candidates', async () => {
    const app = newApp();
    await store.save(newApp(), 'elsewhere', 7200, at(-10));
    expect(await store.validAround(app, T, 60)).toEqual([]);
  });
});

describe('the current ticket and token', () => {
  test('when tickets are saved, then the newest is current until (not at) its end, with its times', async () => {
    const app = newApp();
    await store.save(app, 'first', 7200, at(-100));
    const saved = await store.save(app, 'second', 3600, at(-50));
    expect(saved).toEqual({ value: 'second', obtainedAt: at(-50), validUntil: at(3550), supersededAt: null });
    expect(await store.current(app, T)).toEqual(saved);
    expect(await store.current(app, at(3549.999))).toEqual(saved);
    expect(await store.current(app, at(3550))).toBeUndefined();
    const rows = await db.ticket.findMany({ where: { appId: app }, orderBy: { obtainedAt: 'asc' } });
    expect(rows.map((r) => r.supersededAt)).toEqual([at(-50), null]);
    expect(rows[1]!.valueSealed).not.toContain('second');
  });

  test('when no ticket or only a foreign-key one is held, then there is no current ticket or token', async () => {
    const app = newApp();
    expect(await store.current(app, T)).toBeUndefined();
    expect(await store.currentToken(app, T)).toBeUndefined();
    await new TicketStore(db, otherKey).save(app, 'foreign', 7200, at(-10), { value: 'tok', validUntil: at(7200) });
    expect(await store.current(app, T)).toBeUndefined();
    expect(await store.currentToken(app, T)).toBeUndefined();
  });

  test('when the refresh kept its access_token, then it is held until (not at) its own end, only from the newest refresh', async () => {
    const app = newApp();
    await store.save(app, 'ticket-1', 7200, at(-100), { value: 'token-1', validUntil: at(7000) });
    expect(await store.currentToken(app, T)).toEqual({ value: 'token-1', obtainedAt: at(-100), validUntil: at(7000) });
    expect(await store.currentToken(app, at(6999))).toEqual({
      value: 'token-1',
      obtainedAt: at(-100),
      validUntil: at(7000),
    });
    expect(await store.currentToken(app, at(7000))).toBeUndefined();
    // A newer refresh without a token: the older token is not offered.
    await store.save(app, 'ticket-2', 7200, at(-50));
    expect(await store.currentToken(app, T)).toBeUndefined();
    const rows = await db.ticket.findMany({ where: { appId: app }, orderBy: { obtainedAt: 'asc' } });
    expect(rows[0]!.tokenSealed).not.toContain('token-1');
    expect(rows[1]!.tokenSealed).toBeNull();
    expect(rows[1]!.tokenValidUntil).toBeNull();
  });

  test('when no valid ticket is held, then the error names the app and nothing else', () => {
    const err = new NoValidTicketError('TIDA0001');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NoValidTicketError');
    expect(err.appId).toBe('TIDA0001');
    expect(err.message).toBe('no valid SIGN ticket for app TIDA0001');
  });
});
