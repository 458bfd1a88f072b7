import { randomBytes } from 'node:crypto';
import { createRedis } from '../../../src/shared/platform/redis';
import { acquireLock, withLock } from '../../../src/shared/platform/redis-lock';
import { sleep } from './harness';

const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'worker', 'lock-test');
const key = () => `test:lock:${randomBytes(6).toString('hex')}`;

afterAll(() => redis.quit());

describe('Redis lock', () => {
  test('when a lock is held, then a second acquire fails until it is released', async () => {
    const k = key();
    const a = await acquireLock(redis, k, 5000);
    expect(a).toBeDefined();
    expect(await acquireLock(redis, k, 5000)).toBeUndefined();
    expect(await a!.release()).toBe(true);
    const b = await acquireLock(redis, k, 5000);
    expect(b).toBeDefined();
    await b!.release();
  });

  test('when a holder comes back after its lock expired and was taken, then its release and extend leave the new holder alone', async () => {
    const k = key();
    const slow = await acquireLock(redis, k, 100);
    await sleep(150);
    const next = await acquireLock(redis, k, 5000);
    expect(next).toBeDefined();
    expect(await slow!.release()).toBe(false);
    expect(await slow!.extend(5000)).toBe(false);
    expect(await redis.get(k)).toBe(next!.token);
    await next!.release();
  });

  test('when the work outlasts the TTL, then withLock keeps extending and releases at the end', async () => {
    const k = key();
    const result = await withLock(redis, k, 150, async (_lock, signal) => {
      await sleep(500);
      expect(await acquireLock(redis, k, 1000)).toBeUndefined();
      return signal.aborted;
    });
    expect(result).toEqual({ acquired: true, value: false });
    expect(await redis.exists(k)).toBe(0);
  });

  test('when someone else holds the lock, then withLock does not run the work', async () => {
    const k = key();
    const other = await acquireLock(redis, k, 5000);
    let ran = false;
    expect(await withLock(redis, k, 1000, async () => (ran = true))).toEqual({ acquired: false });
    expect(ran).toBe(false);
    await other!.release();
  });
});
