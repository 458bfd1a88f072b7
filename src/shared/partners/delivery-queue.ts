import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../platform/redis';

/** The webhook delivery queue; its keys carry the configured hash tag prefix like the archive queue's. */
export const WEBHOOK_QUEUE = 'webhooks';

export interface DeliveryJobData {
  deliveryId: string;
  /** Set by the processor before it fails an attempt: the jittered delay the backoff strategy returns. */
  nextDelayMs?: number;
  /** How often the job waited for an earlier delivery of the same order (grows its wait). */
  waits?: number;
}

/**
 * One job per delivery and replay: `whd-<deliveryId>-<replays>`. BullMQ 6 refuses integer job ids
 * and ids with ':'; the prefix and the dashes keep it neither, and a replay gets a fresh id (the
 * delivered job is kept a while, and an add with its id would be a silent no-op).
 */
export function deliveryJobId(deliveryId: bigint | string, replays: number): string {
  return `whd-${deliveryId}-${replays}`;
}

/**
 * Retries are bounded by time (WEBHOOK_RETRY_HORIZON_SECONDS, checked by the processor), not by
 * count: the attempt count is only a ceiling no schedule reaches.
 */
export const DELIVERY_JOB_OPTIONS: JobsOptions = {
  attempts: 10_000,
  backoff: { type: 'webhook' },
  removeOnComplete: { age: 24 * 3600, count: 100000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

/**
 * The delay before retry `attempt` (1 = the first retry): base × 2^(attempt−1), capped, with
 * "equal jitter" (between half and all of it) so endpoints that failed together do not retry
 * together.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.min(40, Math.max(0, attempt - 1)));
  return Math.round(nominal / 2 + (random() * nominal) / 2);
}

/** BullMQ's backoff strategy for type `webhook`: the delay the processor chose and recorded. */
export function webhookBackoff(baseMs: number, maxMs: number) {
  return (attemptsMade: number, _type?: string, _err?: Error, job?: { data?: DeliveryJobData }): number =>
    job?.data?.nextDelayMs ?? retryDelayMs(attemptsMade, baseMs, maxMs);
}

export function createDeliveryQueue(connection: RedisClient, prefix: string): Queue<DeliveryJobData> {
  const queue = new Queue<DeliveryJobData>(WEBHOOK_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: DELIVERY_JOB_OPTIONS,
  });
  queue.on('error', () => undefined);
  return queue;
}
