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
  const window = Math.floor(Date.now() / 1000 / windowSeconds);
  const k = `${key}:${window}`;
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
