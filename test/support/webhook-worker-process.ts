/**
 * A webhook delivery worker in its own process (fan-out, relay and BullMQ worker), configured
 * from the environment, so a test can SIGKILL it mid-delivery like a crashed replica.
 */
import { loadConfig } from '../../src/shared/platform/config';
import { createDb } from '../../src/shared/platform/db';
import { createRedis } from '../../src/shared/platform/redis';
import { createDeliveryQueue } from '../../src/shared/partners/delivery-queue';
import { WebhookFanOut } from '../../src/shared/partners/fan-out';
import { createWebhookWorker } from '../../src/workers/webhook-worker';

const cfg = loadConfig(process.env);
const db = createDb(cfg.DATABASE_URL, 4);
const redis = createRedis(cfg.redis, 'producer', 'webhook-child');
const queue = createDeliveryQueue(redis, cfg.QUEUE_PREFIX);
new WebhookFanOut(db, cfg, queue, { intervalMs: cfg.WEBHOOK_FANOUT_INTERVAL_MS }).start();
const worker = createWebhookWorker(
  { db, cfg, redis, queue },
  createRedis(cfg.redis, 'worker', 'webhook-child-worker'),
  { lockMs: 2000, stalledCheckMs: 1000 },
);
void worker.waitUntilReady().then(() => process.stdout.write('ready\n'));
