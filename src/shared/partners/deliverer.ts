import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { RedisClient } from '../platform/redis';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { componentLogger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { acquireLock, withLock } from '../platform/redis-lock';
import { rateLimitHit } from '../platform/rate-limit';
import { deliveryJobId, retryDelayMs, type DeliveryJobData } from './delivery-queue';
import { disableEndpoint, signingSecrets } from './webhook-endpoints';
import { sendWebhook } from './webhook-send';
import { signedHeaders } from './webhook-signing';

const log = componentLogger('webhooks');

export interface DelivererDeps {
  db: Db;
  cfg: Config;
  /** Locks, per-endpoint slots and rates. */
  redis: RedisClient;
  /** To wake the next delivery of the same order once this one is through. */
  queue: Queue<DeliveryJobData>;
  metrics?: Metrics;
}

/** System actor of the service's own endpoint changes (410, too many failures). */
const SYSTEM = { actor: 'system:webhooks', actorRole: 'system' };

export type DeliveryOutcome = 'delivered' | 'skipped' | 'disabled' | 'gave_up';

/**
 * Processes one delivery job:
 *
 * - In order per order: while an earlier delivery of the same order to the same endpoint is still
 *   pending, this one waits (moved back to delayed, no attempt used); the earlier one, once through,
 *   promotes it. Sends of one order to one endpoint hold a Redis lock, so a replay and the original
 *   never race.
 * - Per endpoint: at most `concurrency` in flight (Redis slots) and `ratePerSecond` sends.
 * - 2xx: delivered. 410 Gone: the endpoint is disabled (the partner said so). Anything else, or no
 *   answer within WEBHOOK_TIMEOUT_MS: the attempt failed; retried with jittered exponential
 *   backoff until WEBHOOK_RETRY_HORIZON_SECONDS after the delivery was created; the endpoint is
 *   disabled after WEBHOOK_DISABLE_AFTER failed attempts in a row (its deliveries wait for it).
 */
export async function processDelivery(
  deps: DelivererDeps,
  job: Job<DeliveryJobData>,
  token?: string,
): Promise<DeliveryOutcome> {
  const { db, cfg, redis } = deps;
  const prefix = cfg.QUEUE_PREFIX;
  const id = BigInt(job.data.deliveryId);
  const d = await db.webhookDelivery.findUnique({ where: { id }, include: { endpoint: true, event: true } });
  if (!d || d.status !== 'pending') return 'skipped';
  if (d.endpoint.disabledAt) {
    await db.webhookDelivery.updateMany({ where: { id, status: 'pending' }, data: { status: 'disabled' } });
    return 'disabled';
  }
  // Waiting for an earlier event counts (its wait grows); waiting for a slot or the rate does not.
  const waitFor = async (ms: number, why: string, counts = false): Promise<never> => {
    await job.updateData({ ...job.data, waits: (job.data.waits ?? 0) + (counts ? 1 : 0), nextDelayMs: undefined });
    await job.moveToDelayed(Date.now() + ms, token);
    throw new DelayedError(why);
  };
  const earlier = await db.webhookDelivery.findFirst({
    where: { endpointId: d.endpointId, orderId: d.orderId, status: 'pending', seq: { lt: d.seq } },
    select: { id: true },
  });
  // Woken early by the earlier delivery when it is through; the wait (at most 10 s, one indexed
  // query each time) is the safety net for a wake-up that found this job not yet delayed.
  const earlierWait = () => Math.min(10_000, 500 * 2 ** Math.min(5, job.data.waits ?? 0));
  if (earlier) await waitFor(earlierWait(), 'earlier event pending', true);

  const orderLock = `${prefix}:wh:order:${d.endpointId}:${d.orderId}`;
  const held = await withLock(redis, orderLock, cfg.WEBHOOK_TIMEOUT_MS * 3, async () => {
    const slot = await takeSlot(
      redis,
      `${prefix}:wh:slot:${d.endpointId}`,
      d.endpoint.concurrency,
      cfg.WEBHOOK_TIMEOUT_MS * 3,
    );
    if (!slot) return 'busy' as const;
    try {
      const rate = await rateLimitHit(redis, `${prefix}:wh:rate:${d.endpointId}`, d.endpoint.ratePerSecond, 1);
      if (!rate.allowed) return 'rate' as const;
      // Re-read under the lock: a concurrent job (a replay) may have delivered it meanwhile, the
      // endpoint may have been disabled, or an earlier event become pending again (a replay).
      const now = await db.webhookDelivery.findUnique({
        where: { id },
        select: { status: true, endpoint: { select: { disabledAt: true } } },
      });
      if (now?.status !== 'pending' || now.endpoint.disabledAt) return 'done' as const;
      const before = await db.webhookDelivery.count({
        where: { endpointId: d.endpointId, orderId: d.orderId, status: 'pending', seq: { lt: d.seq } },
      });
      if (before > 0) return 'earlier' as const;
      const body = JSON.stringify(d.event.payload);
      const headers = signedHeaders(eventMessageId(d.eventId), new Date(), body, signingSecrets(cfg, d.endpoint));
      const result = await sendWebhook(d.endpoint.url, headers, body, {
        timeoutMs: cfg.WEBHOOK_TIMEOUT_MS,
        allowPrivate: d.endpoint.allowPrivate,
      });
      return result;
    } finally {
      await slot.release().catch(() => undefined);
    }
  });
  if (!held.acquired) return waitFor(500, 'order locked by another delivery');
  const r = held.value;
  if (r === 'busy') return waitFor(200 + Math.floor(Math.random() * 300), 'endpoint at its concurrency');
  if (r === 'rate') return waitFor(1000 - (Date.now() % 1000) + Math.floor(Math.random() * 50), 'endpoint rate');
  if (r === 'done') return 'skipped';
  if (r === 'earlier') return waitFor(earlierWait(), 'earlier event pending', true);

  const count = (result: string) => deps.metrics?.webhookAttempts.inc({ result });
  deps.metrics?.webhookSeconds.observe(r.latencyMs / 1000);
  const attempt = {
    attempts: { increment: 1 },
    lastStatus: r.status,
    lastLatencyMs: r.latencyMs,
    lastAttemptAt: new Date(),
    lastError: r.error ?? (r.status !== null && (r.status < 200 || r.status > 299) ? `HTTP ${r.status}` : null),
  };
  if (r.status !== null && r.status >= 200 && r.status <= 299) {
    await db.$transaction([
      db.webhookDelivery.update({
        where: { id },
        data: { ...attempt, status: 'delivered', deliveredAt: new Date(), nextAttemptAt: null },
      }),
      db.webhookEndpoint.update({ where: { id: d.endpointId }, data: { failureRun: 0 } }),
    ]);
    await wakeNext(deps, d.endpointId, d.orderId, d.seq);
    count('delivered');
    return 'delivered';
  }
  // Disabling flips the endpoint and every pending delivery of it (this one too) in one
  // transaction: until then this delivery stays pending, so the order's next one keeps waiting
  // and nothing more is sent to an endpoint that said it is gone.
  if (r.status === 410) {
    await db.webhookDelivery.update({ where: { id }, data: { ...attempt, nextAttemptAt: null } });
    await disableEndpoint(db, d.endpointId, 'the receiver answered 410 Gone', SYSTEM, 'webhook.auto_disable');
    log.warn('webhook endpoint answered 410 Gone; disabled', { endpointId: d.endpointId });
    count('gone');
    return 'disabled';
  }
  const ep = await db.webhookEndpoint.update({
    where: { id: d.endpointId },
    data: { failureRun: { increment: 1 } },
    select: { failureRun: true },
  });
  if (ep.failureRun >= cfg.WEBHOOK_DISABLE_AFTER) {
    await db.webhookDelivery.update({ where: { id }, data: { ...attempt, nextAttemptAt: null } });
    await disableEndpoint(
      db,
      d.endpointId,
      `${ep.failureRun} failed attempts in a row (last: ${attempt.lastError ?? 'error'})`,
      SYSTEM,
      'webhook.auto_disable',
    );
    log.warn('webhook endpoint failing; disabled', { endpointId: d.endpointId, failures: ep.failureRun });
    count('disabled');
    return 'disabled';
  }
  const horizon = d.createdAt.getTime() + cfg.WEBHOOK_RETRY_HORIZON_SECONDS * 1000;
  const delay = retryDelayMs(job.attemptsMade + 1, cfg.WEBHOOK_BACKOFF_BASE_MS, cfg.WEBHOOK_BACKOFF_MAX_MS);
  if (Date.now() + delay > horizon) {
    await db.webhookDelivery.update({ where: { id }, data: { ...attempt, status: 'failed', nextAttemptAt: null } });
    // The order's next event is no longer held back by this one.
    await wakeNext(deps, d.endpointId, d.orderId, d.seq);
    count('gave_up');
    log.warn('webhook delivery gave up at the retry horizon', { endpointId: d.endpointId, deliveryId: String(id) });
    throw new UnrecoverableError(`gave up: ${attempt.lastError ?? 'error'}`);
  }
  await db.webhookDelivery.update({
    where: { id },
    data: { ...attempt, nextAttemptAt: new Date(Date.now() + delay) },
  });
  await job.updateData({ ...job.data, nextDelayMs: delay });
  count('failed');
  throw new Error(`attempt failed: ${attempt.lastError ?? 'error'}`);
}

/** The `webhook-id` of an event: the same for every attempt, replay and endpoint, so receivers de-duplicate. */
export function eventMessageId(eventId: string): string {
  return `evt_${eventId.replace(/-/g, '')}`;
}

/** Promotes the job of the order's next pending delivery to this endpoint, if it is waiting. */
async function wakeNext(deps: DelivererDeps, endpointId: string, orderId: string, seq: bigint): Promise<void> {
  const next = await deps.db.webhookDelivery.findFirst({
    where: { endpointId, orderId, status: 'pending', seq: { gt: seq } },
    orderBy: { seq: 'asc' },
    select: { id: true, replays: true },
  });
  if (!next) return;
  const job = await deps.queue.getJob(deliveryJobId(next.id, next.replays)).catch(() => undefined);
  if (job && (await job.isDelayed().catch(() => false))) await job.promote().catch(() => undefined);
}

/** One of `n` per-endpoint slots (Redis locks with an expiry, so a crashed worker frees its slot). */
async function takeSlot(redis: RedisClient, key: string, n: number, ttlMs: number) {
  for (let i = 0; i < Math.max(1, n); i++) {
    const lock = await acquireLock(redis, `${key}:${i}`, ttlMs);
    if (lock) return lock;
  }
  return undefined;
}
