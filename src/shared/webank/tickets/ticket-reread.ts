import type { RedisClient } from '../../platform/redis';
import type { Config } from '../../platform/config';
import { componentLogger, type Logger } from '../../platform/logger';
import { rateLimitHit, rateLimitSpent } from '../../platform/rate-limit';
import { withLock } from '../../platform/redis-lock';
import { WebankClient } from '../client';
import { TicketReader } from './ticket-reader';

/**
 * How a re-read ended: a ticket we did not hold was stored (`new`), WeBank's is ours (`same`),
 * not asked because the app's re-read for this gap is taken or the keeper is refreshing right now
 * (`busy`: ask again shortly), not asked because this address has used its own allowance
 * (`limited`: its earlier re-reads showed our ticket is WeBank's), no access_token of ours is
 * valid (`no_token`), or WeBank did not answer (`failed`).
 */
export type RereadOutcome = 'new' | 'same' | 'busy' | 'limited' | 'no_token' | 'failed';

export interface TicketRereadOptions {
  reader: TicketReader;
  /** Only getSignTicket is used: this class can never take an access_token. */
  client: Pick<WebankClient, 'getSignTicket'>;
  redis: RedisClient;
  /** Redis key prefix; the limits are shared by every replica through it. */
  prefix: string;
  /** At most one re-read per app in this many seconds, cluster-wide. */
  minGapSeconds: number;
  /** At most this many re-reads asked for by one client address per `perIpWindowSeconds`. */
  perIpLimit: number;
  perIpWindowSeconds: number;
  logger?: Logger;
}

/**
 * What an unauthenticated request (a callback whose signature matches no ticket we hold) may do
 * about our credentials: read the SIGN ticket again with the access_token we already hold, in
 * case WeBank rotated it since the keeper's last refresh. Never more: a new access_token leaves
 * every other holder of the WBappid's token one more minute (WeBank's overlap), so anyone able to
 * send a forged redirect could cut off another system. Token refreshes stay with the keeper's
 * schedule and WeBank's authenticated refusals of our sign (archive-evidence → refreshNow).
 *
 * Bounded twice: once per `minGapSeconds` per app across replicas (Redis SET NX), and
 * `perIpLimit` per address so one sender cannot take every slot. When Redis cannot count, no
 * re-read is made: a forgery must never reach WeBank uncounted.
 */
export class SignTicketRereader {
  private readonly log: Logger;

  constructor(private readonly o: TicketRereadOptions) {
    this.log = o.logger ?? componentLogger('tickets');
  }

  static fromConfig(cfg: Config, reader: TicketReader, redis: RedisClient): SignTicketRereader {
    return new SignTicketRereader({
      reader,
      client: WebankClient.fromConfig(cfg),
      redis,
      prefix: `${cfg.QUEUE_PREFIX}:ticket-reread`,
      minGapSeconds: cfg.TICKET_REREAD_MIN_GAP_SECONDS,
      perIpLimit: cfg.TICKET_REREAD_PER_IP,
      perIpWindowSeconds: cfg.TICKET_REREAD_IP_WINDOW_SECONDS,
    });
  }

  async reread(appId: string, clientIp?: string): Promise<RereadOutcome> {
    const { redis, prefix } = this.o;
    const ip = clientIp ?? 'unknown';
    // The app's slot first, then the address's allowance: an address is charged only for re-reads
    // it would really cause, not for requests that found the slot taken (everyone behind one NAT
    // would otherwise lose the allowance to a burst), and a spent address hands the slot back.
    // An address that has already spent its allowance is refused before the slot is even looked
    // at: while another request holds the slot, "ask again shortly" would keep a forger's page
    // reloading for the whole gap, though its own re-reads already showed our ticket is WeBank's.
    const ipKey = `${prefix}:ip:${appId}:${ip}`;
    if (await rateLimitSpent(redis, ipKey, this.o.perIpLimit, this.o.perIpWindowSeconds)) return 'limited';
    const slotKey = `${prefix}:app:${appId}`;
    const slot = await redis.set(slotKey, ip, 'PX', Math.max(1, this.o.minGapSeconds * 1000), 'NX').catch(() => null);
    if (slot !== 'OK') return 'busy';
    const own = await rateLimitHit(redis, ipKey, this.o.perIpLimit, this.o.perIpWindowSeconds);
    if (!own.allowed) {
      await redis.del(slotKey).catch(() => undefined);
      return 'limited';
    }
    const { store, cache } = this.o.reader;
    const token = await store.currentToken(appId).catch(() => undefined);
    if (!token) return 'no_token';
    try {
      // Under the keeper's refresh lock: a ticket stored here must never supersede one it is storing.
      const r = await withLock(redis, cache.lockKey(appId), 30_000, async () => {
        const held = await store.current(appId);
        const asked = Date.now();
        const got = await this.o.client.getSignTicket(appId, token.value);
        if (held && held.value === got.value) return 'same' as const;
        const obtainedAt = new Date(asked);
        const tokenLeft = (token.validUntil.getTime() - asked) / 1000;
        const saved = await store.save(appId, got.value, Math.min(got.expireIn, tokenLeft), obtainedAt, token);
        await cache.put(appId, saved).catch(() => undefined);
        this.o.reader.remember(appId, saved);
        this.log.info('SIGN ticket re-read with the held access_token: WeBank had rotated it', { appId });
        return 'new' as const;
      });
      return r.acquired ? r.value : 'busy';
    } catch (err) {
      this.log.warn('SIGN ticket re-read failed', { appId, error: (err as Error).message });
      return 'failed';
    }
  }

  close(): void {
    if (this.o.client instanceof WebankClient) this.o.client.close();
  }
}
