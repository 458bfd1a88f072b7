import { redisReady, type RedisClient } from '../../platform/redis';
import { config as loadConfig } from '../../platform/config';
import { componentLogger, type Logger } from '../../platform/logger';
import { LockUnavailableError, withLock } from '../../platform/redis-lock';
import { WebankClient } from '../client';
import type { TicketCandidate } from '../signature';
import { backoffDelay, sleep } from './backoff';
import { CredentialConflicts } from './credential-conflicts';
import { describeFailure, failureFields, type FailureSummary } from './failure';
import { obtainSignTicket, type TicketSource } from './obtain-ticket';
import { RefreshPolicy, type RefreshWant as Want } from './refresh-policy';
import type { HeldTicket } from './ticket-cache';
import { TicketReader, type TicketReaderOptions } from './ticket-reader';

export type { TicketSource } from './obtain-ticket';

export interface TicketKeeperOptions extends TicketReaderOptions {
  /** The apps to keep tickets for, each with its own secret; default the configured apps. */
  apps?: ReadonlyArray<{ appId: string; secret: string }>;
  /** Default `WebankClient.fromConfig` (closed by `stop()`). */
  client?: TicketSource;
  /** Refresh this long after a ticket was obtained; default TICKET_REFRESH_MINUTES (20). */
  refreshIntervalMs?: number;
  /** Refresh early when a ticket has less than this left; default TICKET_SAFETY_MARGIN_SECONDS. */
  safetyMarginMs?: number;
  /** Lock expiry (extended while the holder lives); default 3 × WEBANK_TIMEOUT_MS + 5 s. */
  lockTtlMs?: number;
  /** How often a replica waiting on another's refresh looks again; default 250 ms. */
  lockPollMs?: number;
  /** First retry delay after a failure, doubled per failure up to `retryMaxMs`; default 5 s / 5 min. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** `refreshNow` calls within this window make one refresh; default 200 ms. */
  debounceMs?: number;
  /** A forced refresh is skipped when the ticket is younger than this; default TICKET_MIN_FORCED_REFRESH_MS (5 s). */
  minForcedGapMs?: number;
  /** Where refusals of recent credentials are judged and counted; default from the config. */
  conflicts?: CredentialConflicts;
}

/** How one refresh attempt ended: nothing due, done here, done by another replica, failed, or shutting down. */
export type RefreshOutcome = 'fresh' | 'refreshed' | 'shared' | 'failed' | 'stopped';

/** Per-app health, for the worker's health endpoint and `faceid tickets status`. */
export interface AppTicketStatus {
  hasValidTicket: boolean;
  ticketAgeSeconds: number | null;
  validForSeconds: number | null;
  lastError: { message: string; code?: string; at: string } | null;
  consecutiveFailures: number;
  lastRefreshAt: string | null;
  nextCheckAt: string | null;
}

interface AppState {
  appId: string;
  secret: string;
  timer?: NodeJS.Timeout;
  nextCheckAt?: Date;
  /** Serializes this process's refreshes of the app. */
  chain: Promise<unknown>;
  forced?: Promise<RefreshOutcome>;
  /** A forced refresh that failed: its retries stay forced (the ticket is suspect, not merely due). */
  pendingForce?: Want;
  lastError?: FailureSummary;
  consecutiveFailures: number;
  lastRefreshAt?: Date;
}

/**
 * Keeps every app's access_token + SIGN ticket fresh, in every worker replica. WeBank forbids
 * concurrent refreshes, so one replica refreshes under a Redis lock while the others read the
 * shared ticket (Redis cache, PostgreSQL history). Validity is judged by expire_in only.
 * A failed refresh keeps the current ticket in service and retries with backoff.
 */
export class TicketKeeper {
  readonly reader: TicketReader;
  private readonly states = new Map<string, AppState>();
  private readonly client: TicketSource;
  private readonly ownsClient: boolean;
  private readonly redis: RedisClient;
  private readonly log: Logger;
  private readonly policy: RefreshPolicy;
  private readonly refreshIntervalMs: number;
  private readonly lockTtlMs: number;
  private readonly lockPollMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly debounceMs: number;
  private readonly conflicts: () => CredentialConflicts;
  private stopping = false;

  constructor(opts: TicketKeeperOptions) {
    const cfg = () => opts.config ?? loadConfig();
    this.reader = new TicketReader(opts);
    this.redis = opts.redis;
    this.log = opts.logger ?? componentLogger('tickets');
    this.ownsClient = !opts.client;
    this.client = opts.client ?? WebankClient.fromConfig(cfg());
    this.refreshIntervalMs = opts.refreshIntervalMs ?? cfg().TICKET_REFRESH_MINUTES * 60_000;
    this.policy = new RefreshPolicy({
      refreshIntervalMs: this.refreshIntervalMs,
      safetyMarginMs: opts.safetyMarginMs ?? cfg().TICKET_SAFETY_MARGIN_SECONDS * 1000,
      minForcedGapMs: opts.minForcedGapMs ?? cfg().TICKET_MIN_FORCED_REFRESH_MS,
    });
    this.lockTtlMs = opts.lockTtlMs ?? 3 * (cfg().WEBANK_TIMEOUT_MS || 10_000) + 5000;
    this.lockPollMs = opts.lockPollMs ?? 250;
    this.retryBaseMs = opts.retryBaseMs ?? 5000;
    this.retryMaxMs = opts.retryMaxMs ?? 5 * 60_000;
    this.debounceMs = opts.debounceMs ?? 200;
    let conflicts = opts.conflicts;
    this.conflicts = () => (conflicts ??= CredentialConflicts.fromConfig(opts.db, cfg(), this.log));
    for (const app of opts.apps ?? cfg().apps) {
      this.states.set(app.appId, {
        appId: app.appId,
        secret: app.secret,
        chain: Promise.resolve(),
        consecutiveFailures: 0,
      });
    }
  }

  /** Checks every app once (refreshing where due) and schedules the next checks. Never rejects. */
  async start(): Promise<void> {
    this.stopping = false;
    // A fresh `producer` connection refuses commands until connected; give it a moment.
    await redisReady(this.redis, 2000);
    await Promise.all(
      [...this.states.values()].map((s) => this.run(s, { force: false, requestedAt: new Date(), reason: 'startup' })),
    );
  }

  /** Cancels the schedule and waits for a refresh in flight, so no lock or half-saved ticket is left behind. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of this.states.values()) {
      clearTimeout(s.timer);
      s.timer = undefined;
      s.nextCheckAt = undefined;
    }
    await Promise.all(
      [...this.states.values()].flatMap((s) => [s.chain, s.forced?.catch(() => undefined) ?? Promise.resolve()]),
    );
    if (this.ownsClient && this.client instanceof WebankClient) this.client.close();
  }

  /** The SIGN ticket to sign with now; throws NoValidTicketError when none is valid. */
  currentTicket(appId: string): Promise<string> {
    return this.reader.currentTicket(appId);
  }

  /** Tickets a callback signed at `time` may use: current plus those superseded within the grace period. */
  ticketsValidAround(appId: string, time: Date): Promise<TicketCandidate[]> {
    return this.reader.ticketsValidAround(appId, time);
  }

  /**
   * Refreshes now (WeBank refused our sign, an operator asked). Calls within `debounceMs` share
   * one refresh; across replicas the lock and the store re-check make it one. Pass the refused
   * ticket so a refresh another replica already did is not repeated. Resolves with the outcome;
   * rejects only for an app this keeper does not hold. `refused` (the ticket WeBank refused and its
   * code) is judged as a possible credential conflict; it does not change how the refresh is made.
   */
  refreshNow(
    appId: string,
    reason: string,
    opts: { rejectedTicket?: string; refused?: { ticket: string; code: string } } = {},
  ): Promise<RefreshOutcome> {
    const s = this.states.get(appId);
    if (!s) return Promise.reject(new Error(`no ticket keeper for app ${appId}`));
    if (opts.refused) {
      const { ticket, code } = opts.refused;
      void this.conflicts()
        .ticketRefused(appId, ticket, 'query', code)
        .catch((err: Error) => this.log.warn('could not judge a refused ticket', { appId, error: err.message }));
    }
    if (this.stopping) return Promise.resolve('stopped');
    if (s.forced) return s.forced;
    const want: Want = { force: true, requestedAt: new Date(), reason, rejected: opts.rejectedTicket };
    const p = sleep(this.debounceMs)
      .then(() => this.run(s, want))
      .finally(() => {
        if (s.forced === p) s.forced = undefined;
      });
    s.forced = p;
    return p;
  }

  /** Per-app health: a worker with `hasValidTicket: false` cannot sign or verify anything. */
  async status(): Promise<Record<string, AppTicketStatus>> {
    const now = Date.now();
    const out: Record<string, AppTicketStatus> = {};
    for (const s of this.states.values()) {
      const held = await this.reader.peek(s.appId).catch(() => undefined);
      out[s.appId] = {
        hasValidTicket: held !== undefined,
        ticketAgeSeconds: held ? Math.round((now - held.obtainedAt.getTime()) / 1000) : null,
        validForSeconds: held ? Math.round((held.validUntil.getTime() - now) / 1000) : null,
        lastError: s.lastError
          ? { message: s.lastError.message, code: s.lastError.code, at: s.lastError.at.toISOString() }
          : null,
        consecutiveFailures: s.consecutiveFailures,
        lastRefreshAt: s.lastRefreshAt?.toISOString() ?? null,
        nextCheckAt: s.nextCheckAt?.toISOString() ?? null,
      };
    }
    return out;
  }

  /** One attempt, serialized per app in this process, then the next check is scheduled. */
  private run(s: AppState, want: Want): Promise<RefreshOutcome> {
    const attempt = async (): Promise<RefreshOutcome> => {
      if (this.stopping) return 'stopped';
      let outcome: RefreshOutcome;
      let failure: unknown;
      try {
        outcome = await this.refreshIfDue(s, want);
        if (outcome !== 'stopped') {
          s.consecutiveFailures = 0;
          s.lastError = undefined;
          if (want.force) s.pendingForce = undefined;
        }
      } catch (err) {
        outcome = 'failed';
        failure = err;
        s.consecutiveFailures += 1;
        s.lastError = describeFailure(err);
        if (want.force) s.pendingForce = want;
      }
      const { delayMs, held } = await this.scheduleNext(s, outcome);
      if (outcome === 'failed') this.logFailure(s, want, failure, delayMs, held);
      return outcome;
    };
    const p = s.chain.then(attempt, attempt);
    s.chain = p.catch(() => undefined);
    return p;
  }

  private async refreshIfDue(s: AppState, want: Want): Promise<RefreshOutcome> {
    const held = await this.reader.peek(s.appId).catch(() => undefined);
    if (this.policy.satisfies(held, want)) return 'fresh';
    const lockKey = this.reader.cache.lockKey(s.appId);
    let deadline: number | undefined;
    for (;;) {
      if (this.stopping) return 'stopped';
      const r = await withLock(this.redis, lockKey, this.lockTtlMs, () => this.refreshUnderLock(s, want)).catch(
        (err: unknown) => {
          if (!(err instanceof LockUnavailableError)) throw err;
          // Redis is down: PostgreSQL, which holds the tickets anyway, serializes the refresh instead,
          // so a ticket WeBank rotated meanwhile can still be fetched.
          return this.withPostgresLock(lockKey, () => this.refreshUnderLock(s, want));
        },
      );
      if (r.acquired) return r.value;
      // Another replica is refreshing: wait for its ticket, or for its lock to expire if it died.
      if (deadline === undefined) {
        const pttl = await this.redis.pttl(lockKey).catch(() => this.lockTtlMs);
        deadline = Date.now() + Math.max(pttl, this.lockTtlMs) + 2 * this.lockPollMs;
      }
      await sleep(this.lockPollMs);
      const seen = await this.reader.peek(s.appId).catch(() => undefined);
      if (this.policy.satisfies(seen, want)) return 'shared';
      if (Date.now() > deadline) throw new Error('another replica held the ticket refresh lock too long');
    }
  }

  /** Runs `fn` under a transaction-scoped advisory lock named by `key`; not acquired if another holds it. */
  private async withPostgresLock<T>(
    key: string,
    fn: () => Promise<T>,
  ): Promise<{ acquired: true; value: T } | { acquired: false }> {
    const db = this.reader.store.db;
    return db.$transaction(
      async (tx) => {
        const [row] = await tx.$queryRaw<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${key})) AS ok`;
        if (!row?.ok) return { acquired: false as const };
        return { acquired: true as const, value: await fn() };
      },
      { timeout: this.lockTtlMs, maxWait: 2000 },
    );
  }

  private async refreshUnderLock(s: AppState, want: Want): Promise<RefreshOutcome> {
    // Another replica may have refreshed between our check and the lock: PostgreSQL is the truth.
    const stored = await this.reader.store.current(s.appId);
    if (stored && this.policy.satisfies(stored, want)) {
      await this.reader.cache.put(s.appId, stored).catch(() => undefined);
      this.reader.remember(s.appId, stored);
      return 'shared';
    }
    const got = await obtainSignTicket(this.client, s.appId, s.secret);
    const saved = await this.reader.store.save(s.appId, got.value, got.expireInSeconds, got.obtainedAt, got.token);
    const held: HeldTicket = { value: saved.value, obtainedAt: saved.obtainedAt, validUntil: saved.validUntil };
    await this.reader.cache
      .put(s.appId, held)
      .catch((err: Error) =>
        this.log.warn('SIGN ticket saved but not cached in Redis', { appId: s.appId, error: err.message }),
      );
    this.reader.remember(s.appId, held);
    s.lastRefreshAt = new Date();
    this.log.info('SIGN ticket refreshed', {
      appId: s.appId,
      reason: want.reason,
      expireInSeconds: Math.round(got.expireInSeconds),
    });
    return 'refreshed';
  }

  private async scheduleNext(s: AppState, outcome: RefreshOutcome): Promise<{ delayMs: number; held?: HeldTicket }> {
    const held = await this.reader.peek(s.appId).catch(() => undefined);
    if (this.stopping || outcome === 'stopped') return { delayMs: 0, held };
    let delayMs: number;
    if (outcome === 'failed')
      delayMs = Math.min(
        backoffDelay(s.consecutiveFailures, this.retryBaseMs, this.retryMaxMs),
        this.refreshIntervalMs,
      );
    else if (held) delayMs = this.policy.nextCheckDelay(held);
    else delayMs = Math.min(this.retryBaseMs, this.refreshIntervalMs);
    clearTimeout(s.timer);
    const reason = outcome === 'failed' ? 'retry' : 'schedule';
    s.timer = setTimeout(
      () => void this.run(s, s.pendingForce ?? { force: false, requestedAt: new Date(), reason }),
      delayMs,
    );
    s.timer.unref();
    s.nextCheckAt = new Date(Date.now() + delayMs);
    return { delayMs: Math.round(delayMs), held };
  }

  /** One line per failure with WeBank's code; warn while a valid ticket remains, error once none does. */
  private logFailure(s: AppState, want: Want, err: unknown, retryInMs: number, held: HeldTicket | undefined): void {
    const fields = {
      appId: s.appId,
      reason: want.reason,
      ...failureFields(err),
      consecutiveFailures: s.consecutiveFailures,
      retryInMs,
      hasValidTicket: held !== undefined,
      validForSeconds: held ? Math.round((held.validUntil.getTime() - Date.now()) / 1000) : 0,
    };
    if (held) this.log.warn('SIGN ticket refresh failed; still using the current ticket', fields);
    else
      this.log.error(
        'SIGN ticket refresh failed and no valid ticket remains: WeBank queries and callbacks will fail',
        fields,
      );
  }
}
