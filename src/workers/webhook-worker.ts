import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../shared/platform/redis';
import { componentLogger } from '../shared/platform/logger';
import { processDelivery, type DelivererDeps } from '../shared/partners/deliverer';
import { WEBHOOK_QUEUE, webhookBackoff, type DeliveryJobData } from '../shared/partners/delivery-queue';

const log = componentLogger('webhooks');

/**
 * The BullMQ worker delivering partner webhooks (src/shared/partners/deliverer.ts). A worker
 * killed mid-send leaves its job locked until the lock lapses; the stalled check then hands it to
 * another worker, which sends it again (at least once; receivers de-duplicate on `webhook-id`).
 */
export function createWebhookWorker(
  deps: DelivererDeps,
  connection: RedisClient,
  opts: { lockMs?: number; stalledCheckMs?: number } = {},
): Worker<DeliveryJobData> {
  const { cfg } = deps;
  const worker = new Worker<DeliveryJobData>(
    WEBHOOK_QUEUE,
    (job: Job<DeliveryJobData>, token?: string) => processDelivery(deps, job, token),
    {
      connection,
      prefix: cfg.QUEUE_PREFIX,
      concurrency: cfg.WEBHOOK_WORKER_CONCURRENCY,
      // The lock outlasts an attempt (renewed at half its length while the job runs).
      lockDuration: opts.lockMs ?? Math.max(cfg.WEBHOOK_LOCK_MS, cfg.WEBHOOK_TIMEOUT_MS * 2),
      stalledInterval: opts.stalledCheckMs ?? cfg.WEBHOOK_STALLED_CHECK_MS,
      maxStalledCount: 100,
      settings: { backoffStrategy: webhookBackoff(cfg.WEBHOOK_BACKOFF_BASE_MS, cfg.WEBHOOK_BACKOFF_MAX_MS) },
    },
  );
  worker.on('error', (err) => log.warn('webhook worker connection error', { error: err.message }));
  worker.on('failed', (job, err) => {
    if (job && job.attemptsMade > 0)
      log.info('webhook attempt failed', {
        deliveryId: job.data.deliveryId,
        attempt: job.attemptsMade,
        error: err.message,
      });
  });
  return worker;
}
