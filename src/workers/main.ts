import type { Server } from 'node:http';
import express from 'express';
import { config, type Config } from '../shared/platform/config';
import { createDb, type Db } from '../shared/platform/db';
import { EvidenceStore } from '../shared/evidence/evidence-store';
import { healthRouter } from '../shared/platform/health';
import { componentLogger } from '../shared/platform/logger';
import { createMetrics } from '../shared/platform/metrics';
import { OutboxRelay } from '../shared/orders/outbox-relay';
import { createArchiveQueue } from '../shared/orders/archive-queue';
import { createRedis, describeRedis, redisHealth } from '../shared/platform/redis';
import { closeServer, onShutdown } from '../shared/platform/shutdown';
import { TicketKeeper } from '../shared/webank/tickets/keeper';
import { createArchiveWorker } from './archive-worker';
import { createDeliveryQueue } from '../shared/partners/delivery-queue';
import { WebhookFanOut } from '../shared/partners/fan-out';
import { createWebhookWorker } from './webhook-worker';
import { InstrumentedWebankClient } from './instrumented-webank';
import { IntegrityScrub } from './integrity-scrub';
import { Reconciler } from './reconciler';
import { RecoverySweeper } from './recovery-sweeper';
import { RetentionPurge } from './retention-purge';

const log = componentLogger('worker');

export interface WorkerRuntimeOptions {
  db?: Db;
  evidence?: EvidenceStore;
  /** Health and metrics port; false for none (tests, the demo). Default WORKER_PORT. */
  port?: number | false;
}

/**
 * Everything a worker replica runs: the archive worker, the ticket keeper, the outbox relay,
 * the webhook fan-out and delivery worker, the recovery sweeper, the reconciler, the retention purge and
 * the integrity scrub (those four one leader at a time), and a small HTTP server for /healthz, /readyz and
 * /metrics. Any number of replicas can run.
 */
export async function startWorkerRuntime(cfg: Config, opts: WorkerRuntimeOptions = {}) {
  const db = opts.db ?? createDb(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE);
  const evidence = opts.evidence ?? EvidenceStore.fromConfig(cfg);
  const workerRedis = createRedis(cfg.redis, 'worker', 'archive-worker');
  const producerRedis = createRedis(cfg.redis, 'producer', 'worker-producer');
  const metrics = createMetrics({ defaults: opts.port !== false });
  const webank = new InstrumentedWebankClient(
    { apps: cfg.apps, timeoutMs: cfg.WEBANK_TIMEOUT_MS || undefined },
    metrics,
  );
  const keeper = new TicketKeeper({ db, redis: producerRedis, config: cfg, client: webank });
  await keeper.start();
  const queue = createArchiveQueue(producerRedis, cfg.QUEUE_PREFIX, { backoffMs: cfg.ARCHIVE_BACKOFF_MS });
  const relay = new OutboxRelay(
    db,
    queue,
    { intervalMs: cfg.OUTBOX_RELAY_INTERVAL_MS, appIds: cfg.apps.map((a) => a.appId) },
    metrics,
  );
  relay.start();
  const worker = createArchiveWorker({ cfg, db, webank, evidence, tickets: keeper, metrics }, workerRedis, cfg);
  const sweeper = new RecoverySweeper({ cfg, db, redis: producerRedis, webank, tickets: keeper, queue, metrics });
  sweeper.start();
  const reconciler = new Reconciler({ cfg, db, redis: producerRedis, queue, metrics });
  reconciler.start();
  const purge = new RetentionPurge({ cfg, db, redis: producerRedis, evidence, metrics });
  purge.start();
  const scrub = new IntegrityScrub({ cfg, db, redis: producerRedis, evidence, metrics });
  scrub.start();
  // Partner webhooks: events fanned out to endpoints, deliveries enqueued and sent.
  const webhookRedis = createRedis(cfg.redis, 'worker', 'webhook-worker');
  const webhookQueue = createDeliveryQueue(producerRedis, cfg.QUEUE_PREFIX);
  const fanOut = new WebhookFanOut(db, cfg, webhookQueue, { intervalMs: cfg.WEBHOOK_FANOUT_INTERVAL_MS }, metrics);
  fanOut.start();
  const webhookWorker = createWebhookWorker(
    { db, cfg, redis: producerRedis, queue: webhookQueue, metrics },
    webhookRedis,
  );

  /** Ticket gauges, read at scrape time: the ticket may have been fetched by another replica. */
  const sampleTickets = async () => {
    for (const [app, s] of Object.entries(await keeper.status())) {
      metrics.ticketValid.set({ app }, s.hasValidTicket ? 1 : 0);
      if (s.ticketAgeSeconds === null) metrics.ticketAgeSeconds.remove({ app });
      else metrics.ticketAgeSeconds.set({ app }, s.ticketAgeSeconds);
    }
  };

  let server: Server | undefined;
  const port = opts.port === undefined ? cfg.WORKER_PORT : opts.port;
  if (port !== false) {
    const app = express();
    app.use(
      healthRouter([
        { name: 'postgres', run: () => db.$queryRaw`SELECT 1` },
        { name: 'redis', run: () => redisHealth(producerRedis, cfg.QUEUE_PREFIX) },
        { name: 's3', run: () => evidence.ping() },
        {
          name: 'tickets',
          run: async () => {
            const missing = Object.entries(await keeper.status()).filter(([, s]) => !s.hasValidTicket);
            if (missing.length) throw new Error(`no valid SIGN ticket for ${missing.map(([id]) => id).join(', ')}`);
          },
        },
      ]),
    );
    app.get('/metrics', async (_req, res) => {
      await sampleTickets().catch(() => undefined);
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
    server = app.listen(port, () => log.info('worker health listening', { port, redis: describeRedis(cfg.redis) }));
  }

  // Jobs still running this close to SHUTDOWN_TIMEOUT_MS are released, leaving time to close the rest.
  const releaseAfterMs = cfg.SHUTDOWN_TIMEOUT_MS - Math.min(5000, Math.floor(cfg.SHUTDOWN_TIMEOUT_MS / 5));
  const close = async () => {
    // Stop taking jobs and let the active ones finish (BullMQ waits for them). Any still running
    // at the deadline are cancelled: their uploads are aborted (no object, no row) and the jobs go
    // back to the wait list for another replica, without using an attempt.
    const release = setTimeout(() => {
      log.warn('archive jobs still running at the shutdown deadline; releasing them', { afterMs: releaseAfterMs });
      worker.cancelAllJobs();
    }, releaseAfterMs);
    await Promise.all([
      worker.close().finally(() => clearTimeout(release)),
      relay.stop(),
      sweeper.stop(),
      reconciler.stop(),
      purge.stop(),
      fanOut.stop(),
      webhookWorker.close(),
      scrub.stop(),
    ]);
    await keeper.stop();
    if (server) await closeServer(server);
    await queue.close().catch(() => undefined);
    await webhookQueue.close().catch(() => undefined);
    webhookRedis.disconnect();
    producerRedis.disconnect();
    workerRedis.disconnect();
    webank.close();
    if (!opts.evidence) evidence.client.destroy();
    if (!opts.db) await db.$disconnect();
  };
  return {
    db,
    evidence,
    keeper,
    worker,
    relay,
    sweeper,
    reconciler,
    purge,
    scrub,
    queue,
    metrics,
    webank,
    fanOut,
    webhookWorker,
    webhookQueue,
    close,
  };
}

if (require.main === module) {
  let cfg: Config;
  try {
    cfg = config();
  } catch (err) {
    // The ConfigError names every bad variable; a stack trace would only bury it.
    console.error((err as Error).message);
    process.exit(1);
  }
  startWorkerRuntime(cfg).then(
    (rt) => onShutdown([{ name: 'worker runtime', close: rt.close }], cfg.SHUTDOWN_TIMEOUT_MS),
    (err: unknown) => {
      console.error((err as Error).message);
      process.exit(1);
    },
  );
}
