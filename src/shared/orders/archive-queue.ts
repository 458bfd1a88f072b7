import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../platform/redis';
import type { Product } from '../platform/config';

/** The archive queue; its Redis keys carry the configured hash tag prefix (e.g. `{faceid}`) for Redis Cluster. */
export const ARCHIVE_QUEUE = 'archive';

export interface ArchiveJobData {
  appId: string;
  orderNo: string;
  product: Product;
  /** Why it was queued: callback, app_sdk, outbox, reconciler, requeue, recovery. */
  reason: string;
}

/**
 * Deterministic job id: repeated callbacks for one order collapse into one job.
 * BullMQ 6 rejects integer ids and ids with ':'; orderNo and appId are validated alphanumeric.
 */
export function archiveJobId(product: Product, appId: string, orderNo: string, generation = 0): string {
  const base = `${product}-${appId}-${orderNo}`;
  return generation > 0 ? `${base}-r${generation}` : base;
}

export const ARCHIVE_JOB_OPTIONS: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 5000 },
  // Kept a day so a late repeated callback still finds the job and adds none.
  removeOnComplete: { age: 24 * 3600, count: 100000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

/**
 * The producer side of the archive queue. BullMQ waits for the connection's first 'ready'
 * before its version check; after that, with a producer connection (no offline queue),
 * an add fails at once while Redis is down and the caller falls back to the outbox.
 */
export function createArchiveQueue(
  connection: RedisClient,
  prefix: string,
  opts: { backoffMs?: number } = {},
): Queue<ArchiveJobData> {
  const defaultJobOptions: JobsOptions = {
    ...ARCHIVE_JOB_OPTIONS,
    backoff: { type: 'exponential', delay: opts.backoffMs ?? 5000 },
  };
  const queue = new Queue<ArchiveJobData>(ARCHIVE_QUEUE, { connection, prefix, defaultJobOptions });
  // Connection errors surface on each add; an unhandled 'error' event would crash the process.
  queue.on('error', () => undefined);
  return queue;
}

/** Adds the archive job for an order; resolves to the job id. Idempotent by job id. */
export async function enqueueArchive(
  queue: Queue<ArchiveJobData>,
  data: ArchiveJobData,
  opts: { generation?: number; timeoutMs?: number } = {},
): Promise<string> {
  const jobId = archiveJobId(data.product, data.appId, data.orderNo, opts.generation);
  const add = queue.add('archive', data, { jobId });
  await withTimeout(add, opts.timeoutMs ?? 1000, 'enqueue timed out');
  return jobId;
}

/** Adds the archive jobs of many orders in one Redis round trip (BullMQ's addBulk); idempotent by job id. */
export async function enqueueArchiveMany(
  queue: Queue<ArchiveJobData>,
  items: readonly ArchiveJobData[],
  opts: { timeoutMs?: number } = {},
): Promise<string[]> {
  const jobs = items.map((data) => ({
    name: 'archive',
    data,
    opts: { jobId: archiveJobId(data.product, data.appId, data.orderNo) },
  }));
  await withTimeout(queue.addBulk(jobs), opts.timeoutMs ?? 1000, 'enqueue timed out');
  return jobs.map((j) => j.opts.jobId);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
