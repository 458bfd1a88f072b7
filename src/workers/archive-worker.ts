import { WaitingError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../shared/platform/redis';
import type { Config } from '../shared/platform/config';
import { componentLogger } from '../shared/platform/logger';
import { releaseToQueue } from '../shared/orders/archive-records';
import { ARCHIVE_QUEUE, type ArchiveJobData } from '../shared/orders/archive-queue';
import { archiveProcessor, type ArchiverDeps } from './archive-evidence';

const log = componentLogger('archiver');

/**
 * The BullMQ worker around the archive processor: concurrency and a rate limit on WeBank
 * calls from configuration. `close()` stops taking jobs and waits for the active ones;
 * `cancelAllJobs()` (shutdown running out of time) aborts them and puts them back in the wait
 * list at once, without using an attempt. A job cut off by a crash is picked up again after its
 * lock expires (stalled-job check). Either way the rerun stores only what is missing.
 */
export function createArchiveWorker(deps: ArchiverDeps, connection: RedisClient, cfg: Config): Worker<ArchiveJobData> {
  const run = archiveProcessor(deps);
  // Three parameters: BullMQ hands a cancellation signal only to processors that declare it.
  const processor = async (job: Job<ArchiveJobData>, token?: string, signal?: AbortSignal) => {
    try {
      return await run(job, token, signal);
    } catch (err) {
      if (!signal?.aborted || !token) throw err;
      throw await release(deps, job, token, err);
    }
  };
  const worker = new Worker<ArchiveJobData>(ARCHIVE_QUEUE, processor, {
    connection,
    prefix: cfg.QUEUE_PREFIX,
    concurrency: Math.max(1, cfg.ARCHIVE_CONCURRENCY),
    limiter: cfg.ARCHIVE_RATE_PER_SECOND > 0 ? { max: cfg.ARCHIVE_RATE_PER_SECOND, duration: 1000 } : undefined,
    // A killed worker's job is taken up again once its lock lapses and a stalled check sees it.
    lockDuration: cfg.ARCHIVE_LOCK_MS,
    stalledInterval: cfg.ARCHIVE_STALLED_CHECK_MS,
    maxStalledCount: 3,
  });
  worker.on('error', (err) => log.warn('worker connection error', { error: err.message }));
  worker.on('completed', (job, outcome: unknown) =>
    log.info('archive job done', { appId: job.data.appId, orderNo: job.data.orderNo, outcome }),
  );
  return worker;
}

/** A cancelled job goes back to waiting for another worker; its order back to QUEUED. */
async function release(deps: ArchiverDeps, job: Job<ArchiveJobData>, token: string, cause: unknown): Promise<unknown> {
  const { appId, orderNo } = job.data;
  try {
    await job.moveToWait(token);
  } catch (err) {
    // The lock is gone (another worker owns the job now): report the original failure.
    log.warn('could not release a cancelled job', { appId, orderNo, error: (err as Error).message });
    return cause;
  }
  const order = await deps.db.order
    .findUnique({ where: { appId_orderNo: { appId, orderNo } }, select: { id: true } })
    .catch(() => null);
  if (order) {
    await releaseToQueue(deps.db, order.id).catch(() => undefined);
  }
  log.info('archive job released for another worker', { appId, orderNo });
  return new WaitingError();
}
