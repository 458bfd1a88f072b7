import type { RedisClient } from '../../platform/redis';
import { open, seal } from '../../platform/sealed';

/** A ticket as the keeper and reader pass it around; validity comes from expire_in at `obtainedAt`. */
export interface HeldTicket {
  value: string;
  obtainedAt: Date;
  validUntil: Date;
}

// Writes only when no newer ticket is cached, so a replica repopulating the cache from an older
// read cannot overwrite a ticket another replica has just obtained.
const PUT_IF_NEWER = `
local cur = redis.call('get', KEYS[1])
if cur then
  local ts = tonumber(string.match(cur, '^(%d+)|'))
  if ts and ts > tonumber(ARGV[2]) then return 0 end
end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

/**
 * The current ticket per app in Redis, sealed like the history, with a TTL equal to its remaining
 * validity: every replica reads it in a millisecond instead of querying PostgreSQL per signature.
 * Every call is bounded by `timeoutMs` so a Redis outage degrades to the database, not a hang.
 */
export class TicketCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: Buffer,
    private readonly prefix: string,
    private readonly timeoutMs = 500,
  ) {}

  ticketKey(appId: string): string {
    return `${this.prefix}:current:${appId}`;
  }

  lockKey(appId: string): string {
    return `${this.prefix}:lock:${appId}`;
  }

  /** The cached ticket if present and still valid at `at`; undefined on a miss. Throws when Redis fails. */
  async get(appId: string, at = new Date()): Promise<HeldTicket | undefined> {
    const raw = await bounded(this.redis.get(this.ticketKey(appId)), this.timeoutMs);
    if (!raw) return undefined;
    const sealed = raw.slice(raw.indexOf('|') + 1);
    let parsed: { v: string; o: number; u: number };
    try {
      parsed = JSON.parse(open(sealed, this.key)) as { v: string; o: number; u: number };
    } catch {
      return undefined; // sealed with another key (rotated DATA_ENCRYPTION_KEY): treat as a miss
    }
    if (parsed.u <= at.getTime()) return undefined;
    return { value: parsed.v, obtainedAt: new Date(parsed.o), validUntil: new Date(parsed.u) };
  }

  /** Caches `t` unless a newer ticket is already cached; false when skipped or already expired. */
  async put(appId: string, t: HeldTicket, now = Date.now()): Promise<boolean> {
    const ttl = t.validUntil.getTime() - now;
    if (ttl <= 0) return false;
    const o = t.obtainedAt.getTime();
    const payload = `${o}|${seal(JSON.stringify({ v: t.value, o, u: t.validUntil.getTime() }), this.key)}`;
    const done = await bounded(
      this.redis.eval(PUT_IF_NEWER, 1, this.ticketKey(appId), payload, o, Math.ceil(ttl)),
      this.timeoutMs,
    );
    return done === 1;
  }
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]);
}
