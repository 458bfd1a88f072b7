import type { RedisClient } from './redis';

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  resetSeconds: number;
}

/**
 * A fixed-window counter in Redis, shared by every replica. When Redis cannot answer the
 * request is allowed: a partner's verified result matters more than the limit.
 */
export async function rateLimitHit(
  redis: RedisClient,
  key: string,
  limit: number,
  windowSeconds: number,
): Promise<RateDecision> {
  const k = windowKey(key, windowSeconds);
  try {
    const res = await redis
      .multi()
      .incr(k)
      .expire(k, windowSeconds + 1)
      .exec();
    const count = Number(res?.[0]?.[1] ?? 0);
    const resetSeconds = windowSeconds - (Math.floor(Date.now() / 1000) % windowSeconds);
    return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetSeconds };
  } catch {
    return { allowed: true, remaining: limit, resetSeconds: windowSeconds };
  }
}

/**
 * Whether `rateLimitHit` on this key would refuse now, without counting a hit. When Redis cannot
 * answer the key is not spent (as `rateLimitHit` allows).
 */
export async function rateLimitSpent(
  redis: RedisClient,
  key: string,
  limit: number,
  windowSeconds: number,
): Promise<boolean> {
  const v = await redis.get(windowKey(key, windowSeconds)).catch(() => null);
  return Number(v ?? 0) >= limit;
}

function windowKey(key: string, windowSeconds: number): string {
  return `${key}:${Math.floor(Date.now() / 1000 / windowSeconds)}`;
}

/**
 * Failures per key in a fixed window, counted only when they happen (`note`) and checked before
 * the work (`over`): an address that keeps failing authentication is refused before its next
 * token is even looked up. When Redis cannot answer nothing is refused.
 */
export class FailureCounter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly windowSeconds: number,
  ) {}

  private key(id: string): string {
    return windowKey(`${this.prefix}:${id}`, this.windowSeconds);
  }

  async over(id: string): Promise<boolean> {
    if (this.limit <= 0) return false;
    const v = await this.redis.get(this.key(id)).catch(() => null);
    return Number(v ?? 0) >= this.limit;
  }

  async note(id: string): Promise<void> {
    const k = this.key(id);
    await this.redis
      .multi()
      .incr(k)
      .expire(k, this.windowSeconds + 1)
      .exec()
      .catch(() => undefined);
  }
}
