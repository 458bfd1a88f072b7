import type { Queue, Worker } from 'bullmq';
import type { RedisClient } from '../../src/shared/platform/redis';
import type { Config } from '../../src/shared/platform/config';
import { createDb, type Db } from '../../src/shared/platform/db';
import { createRedis } from '../../src/shared/platform/redis';
import { recordStep, startArchive } from '../../src/shared/orders/archive-records';
import { createDeliveryQueue, type DeliveryJobData } from '../../src/shared/partners/delivery-queue';
import { WebhookFanOut } from '../../src/shared/partners/fan-out';
import { createWebhookWorker } from '../../src/workers/webhook-worker';
import { testConfig, uid } from './web-harness';

/** Webhook settings scaled down so retries, timeouts and horizons fit a test. */
export const FAST_WEBHOOKS = {
  WEBHOOK_TIMEOUT_MS: '400',
  WEBHOOK_BACKOFF_BASE_MS: '50',
  WEBHOOK_BACKOFF_MAX_MS: '400',
  WEBHOOK_FANOUT_INTERVAL_MS: '50',
  WEBHOOK_WORKER_CONCURRENCY: '8',
};

export interface WebhookHarness {
  cfg: Config;
  db: Db;
  redis: RedisClient;
  queue: Queue<DeliveryJobData>;
  fanOut: WebhookFanOut;
  worker?: Worker<DeliveryJobData>;
  startWorker(): Worker<DeliveryJobData>;
  close(): Promise<void>;
}

/** The fan-out and a delivery worker on real PostgreSQL and Redis, with the test's own queue prefix. */
export function startWebhooks(env: Record<string, string> = {}): WebhookHarness {
  const cfg = testConfig({ ...FAST_WEBHOOKS, ...env });
  const db = createDb(cfg.DATABASE_URL, 4);
  const redis = createRedis(cfg.redis, 'producer', 'test-webhooks');
  const workerRedis: RedisClient[] = [];
  const queue = createDeliveryQueue(redis, cfg.QUEUE_PREFIX);
  const fanOut = new WebhookFanOut(db, cfg, queue, { intervalMs: cfg.WEBHOOK_FANOUT_INTERVAL_MS });
  fanOut.start();
  const h: WebhookHarness = {
    cfg,
    db,
    redis,
    queue,
    fanOut,
    startWorker() {
      const conn = createRedis(cfg.redis, 'worker', 'test-webhook-worker');
      workerRedis.push(conn);
      h.worker = createWebhookWorker({ db, cfg, redis, queue }, conn, { lockMs: 2000, stalledCheckMs: 1000 });
      return h.worker;
    },
    async close() {
      await fanOut.stop();
      await h.worker?.close(true).catch(() => undefined);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close().catch(() => undefined);
      for (const c of workerRedis) c.disconnect();
      redis.disconnect();
      await db.$disconnect();
    },
  };
  h.startWorker();
  return h;
}

/** Until every event of the test's app is fanned out (the periodic pass may hold the lock: retried). */
export async function drainFanOut(h: WebhookHarness, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    await h.fanOut.runOnce();
    const left = await h.db.webhookEvent.count({
      where: { fannedOutAt: null, order: { appId: { in: h.cfg.apps.map((a) => a.appId) } } },
    });
    if (left === 0) return;
    if (Date.now() > until) throw new Error(`${left} events not fanned out`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A verified order of the test's app, QUEUED, as the callback path leaves it. */
export async function queuedOrder(db: Db, cfg: Config, appId = cfg.WEBANK_APP_ID) {
  return db.order.create({
    data: {
      appId,
      orderNo: uid('wh'),
      status: 'QUEUED',
      source: 'CALLBACK',
      callbackCode: '0',
      verifiedAt: new Date(),
    },
  });
}

/** Through the archiver's own writes: the result first (files lag), then the files: two events. */
export async function resultThenArchived(db: Db, cfg: Config, code = '0') {
  const o = await queuedOrder(db, cfg);
  await startArchive(db, o.appId, o.orderNo);
  await recordStep(db, o.id, {
    fields: { status: 'EVIDENCE_PENDING', resultCode: code, resultMsg: 'msg', liveRate: '99', similarity: '90' },
    events: [{ type: 'evidence_pending' }],
  });
  await recordStep(db, o.id, {
    files: [
      {
        kind: 'photo',
        key: `k/${o.orderNo}.jpg`,
        bytes: 10,
        sha256: 'cd'.repeat(32),
        contentType: 'image/jpeg',
        events: [{ type: 'evidence_stored' }],
      },
    ],
    fields: { status: 'ARCHIVED' },
    events: [{ type: 'archived' }],
    archivedAt: true,
  });
  return o;
}
