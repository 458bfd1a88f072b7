import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../shared/config';
import { componentLogger } from '../shared/logger';
import { ARCHIVE_QUEUE, type ArchiveJobData } from '../shared/queues';
import { archiveProcessor, type ArchiverDeps } from './archive-evidence';

const log = componentLogger('archiver');

/**
 * The BullMQ worker around the archive processor: concurrency and a rate limit on WeBank
 * calls from configuration. `close()` stops taking jobs and waits for the active ones; a job
 * cut off by a crash is picked up again after its lock expires (stalled-job check), and its
 * rerun stores only what is missing.
 */
export function createArchiveWorker(deps: ArchiverDeps, connection: Redis, cfg: Config): Worker<ArchiveJobData> {
  const worker = new Worker<ArchiveJobData>(ARCHIVE_QUEUE, archiveProcessor(deps), {
    connection,
    prefix: cfg.QUEUE_PREFIX,
    concurrency: Math.max(1, cfg.ARCHIVE_CONCURRENCY),
    limiter: cfg.ARCHIVE_RATE_PER_SECOND > 0 ? { max: cfg.ARCHIVE_RATE_PER_SECOND, duration: 1000 } : undefined,
    lockDuration: 60_000,
    stalledInterval: 30_000,
    maxStalledCount: 3,
  });
  worker.on('error', (err) => log.warn('worker connection error', { error: err.message }));
  worker.on('completed', (job, outcome) => log.info('archive job done', { appId: job.data.appId, orderNo: job.data.orderNo, outcome }));
  return worker;
}
