import type { RedisClient } from '../../platform/redis';
import { config as loadConfig, type Config } from '../../platform/config';
import type { Db } from '../../platform/db';
import { componentLogger, type Logger } from '../../platform/logger';
import { dataKey } from '../../platform/sealed';
import type { TicketCandidate } from '../signature';
import { TicketCache, type HeldTicket } from './ticket-cache';
import { NoValidTicketError, TicketStore } from './ticket-store';

export interface TicketReaderOptions {
  db: Db;
  /** Prefer a `producer` connection: reads must fail fast when Redis is down, then use PostgreSQL. */
  redis: RedisClient;
  /** Seals tickets at rest; default DATA_ENCRYPTION_KEY. */
  dataKey?: Buffer;
  /** Redis key prefix; default `${QUEUE_PREFIX}:tickets`. */
  keyPrefix?: string;
  /** How long a superseded ticket still verifies callbacks; default TICKET_GRACE_SECONDS. */
  graceMs?: number;
  config?: Config;
  logger?: Logger;
}

/**
 * The read side of the tickets, for every process (the web process holds only this): the
 * current ticket for signing queries, and the candidates for verifying a callback. It never
 * refreshes; the TicketKeeper in the workers does. Reads go Redis → PostgreSQL → the last
 * ticket this process saw, so a Redis or database blip does not stop signing while a ticket is valid.
 */
export class TicketReader {
  readonly store: TicketStore;
  readonly cache: TicketCache;
  readonly graceMs: number;
  private readonly lastSeen = new Map<string, HeldTicket>();
  private readonly log: Logger;

  constructor(opts: TicketReaderOptions) {
    const cfg = () => opts.config ?? loadConfig();
    const key = opts.dataKey ?? dataKey(cfg().DATA_ENCRYPTION_KEY);
    this.store = new TicketStore(opts.db, key);
    this.cache = new TicketCache(opts.redis, key, opts.keyPrefix ?? `${cfg().QUEUE_PREFIX}:tickets`);
    this.graceMs = opts.graceMs ?? cfg().TICKET_GRACE_SECONDS * 1000;
    this.log = opts.logger ?? componentLogger('tickets');
  }

  /** The SIGN ticket to sign a query with now; throws NoValidTicketError when none is valid. */
  async currentTicket(appId: string): Promise<string> {
    const t = await this.peek(appId);
    if (!t) throw new NoValidTicketError(appId);
    return t.value;
  }

  /** Tickets that may have signed a callback at `time`: current first, then those superseded within the grace period. */
  async ticketsValidAround(appId: string, time: Date): Promise<TicketCandidate[]> {
    return this.store.validAround(appId, time, this.graceMs / 1000);
  }

  /** The current valid ticket with its dates, or undefined. Never throws for a store outage alone. */
  async peek(appId: string, at = new Date()): Promise<HeldTicket | undefined> {
    try {
      const cached = await this.cache.get(appId, at);
      if (cached) return this.remember(appId, cached);
    } catch (err) {
      this.log.debug('ticket cache unavailable, reading PostgreSQL', { appId, error: (err as Error).message });
    }
    try {
      const stored = await this.store.current(appId, at);
      if (!stored) return undefined;
      const held = { value: stored.value, obtainedAt: stored.obtainedAt, validUntil: stored.validUntil };
      await this.cache.put(appId, held).catch(() => undefined);
      return this.remember(appId, held);
    } catch (err) {
      const last = this.lastSeen.get(appId);
      if (last && last.validUntil > at) {
        this.log.warn('ticket stores unavailable, using the last ticket seen', {
          appId,
          error: (err as Error).message,
        });
        return last;
      }
      throw err;
    }
  }

  /** Records a ticket this process obtained or read, as the fallback when both stores are down. */
  remember(appId: string, t: HeldTicket): HeldTicket {
    const prev = this.lastSeen.get(appId);
    if (!prev || prev.obtainedAt <= t.obtainedAt) this.lastSeen.set(appId, t);
    return t;
  }
}
