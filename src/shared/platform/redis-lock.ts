import { randomBytes } from 'node:crypto';
import type { RedisClient } from './redis';

/**
 * A single-instance Redis lock (SET NX PX + a random token). The expiry is what keeps a crashed
 * holder from blocking everyone forever; the token is what keeps a slow holder whose lock expired
 * from deleting the next holder's lock. Good for "at most one replica does this now", not for
 * correctness under Redis failover (use it where a rare double run is harmless).
 */
export interface RedisLock {
  readonly key: string;
  readonly token: string;
  /** Deletes the lock if we still hold it; false when it had expired or was taken over. */
  release(): Promise<boolean>;
  /** Pushes the expiry to `ttlMs` from now if we still hold it; false when lost. */
  extend(ttlMs?: number): Promise<boolean>;
}

// Compare-and-delete / compare-and-expire: a plain DEL or PEXPIRE could touch another holder's lock.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** Redis could not be asked (down, not connected): nobody can tell whether the lock is free. */
export class LockUnavailableError extends Error {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`Redis unavailable for lock ${key}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LockUnavailableError';
  }
}

/** Tries once to take the lock; undefined when someone else holds it, LockUnavailableError when Redis fails. */
export async function acquireLock(redis: RedisClient, key: string, ttlMs: number): Promise<RedisLock | undefined> {
  const token = randomBytes(16).toString('hex');
  let ok: string | null;
  try {
    ok = await redis.set(key, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
  } catch (err) {
    throw new LockUnavailableError(key, err);
  }
  if (ok !== 'OK') return undefined;
  return {
    key,
    token,
    release: async () => (await redis.eval(RELEASE, 1, key, token)) === 1,
    extend: async (ms = ttlMs) => (await redis.eval(EXTEND, 1, key, token, Math.max(1, Math.ceil(ms)))) === 1,
  };
}

export type LockResult<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `fn` while holding the lock, extending it every third of its TTL so a long but live holder
 * keeps it, and releasing it afterwards. `signal` aborts if an extension finds the lock lost.
 * Resolves `{ acquired: false }` at once when the lock is held elsewhere.
 */
export async function withLock<T>(
  redis: RedisClient,
  key: string,
  ttlMs: number,
  fn: (lock: RedisLock, signal: AbortSignal) => Promise<T>,
): Promise<LockResult<T>> {
  const lock = await acquireLock(redis, key, ttlMs);
  if (!lock) return { acquired: false };
  const lost = new AbortController();
  const timer = setInterval(
    () => {
      lock.extend().then(
        (held) => {
          if (!held) lost.abort(new Error(`lock ${key} lost`));
        },
        () => undefined, // Redis blip: the next tick tries again; expiry is the safety net.
      );
    },
    Math.max(10, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  try {
    return { acquired: true, value: await fn(lock, lost.signal) };
  } finally {
    clearInterval(timer);
    await lock.release().catch(() => undefined);
  }
}
