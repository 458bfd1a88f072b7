import type { Server } from 'node:http';
import express from 'express';
import { config, type Config } from '../shared/config';
import { createDb, type Db } from '../shared/db';
import { EvidenceStore } from '../shared/evidence-store';
import { healthRouter } from '../shared/health';
import { componentLogger } from '../shared/logger';
import { createMetrics } from '../shared/metrics';
import { OutboxRelay } from '../shared/outbox-relay';
import { createArchiveQueue } from '../shared/queues';
import { createRedis } from '../shared/redis';
import { closeServer, onShutdown } from '../shared/runtime';
import { TicketKeeper } from '../shared/tickets/keeper';
import { WebankClient } from '../shared/webank/client';
import { createArchiveWorker } from './archive-worker';
import { RecoverySweeper } from './recovery-sweeper';

const log = componentLogger('worker');

export interface WorkerRuntimeOptions {
  db?: Db;
  evidence?: EvidenceStore;
  /** Health and metrics port; false for none (tests, the demo). Default WORKER_PORT. */
  port?: number | false;
}

/**
 * Everything a worker replica runs: the archive worker, the ticket keeper, the outbox relay,
 * and a small HTTP server for /healthz, /readyz and /metrics. Any number of replicas can run.
 */
export async function startWorkerRuntime(cfg: Config, opts: WorkerRuntimeOptions = {}) {
  const db = opts.db ?? createDb(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE);
  const evidence = opts.evidence ?? EvidenceStore.fromConfig(cfg);
  const workerRedis = createRedis(cfg.REDIS_URL, 'worker', 'archive-worker');
  const producerRedis = createRedis(cfg.REDIS_URL, 'producer', 'worker-producer');
  const metrics = createMetrics({ defaults: opts.port !== false });
  const webank = WebankClient.fromConfig(cfg);
  const keeper = new TicketKeeper({ db, redis: producerRedis, config: cfg, client: webank });
  await keeper.start();
  const queue = createArchiveQueue(producerRedis, cfg.QUEUE_PREFIX, { backoffMs: cfg.ARCHIVE_BACKOFF_MS });
  const relay = new OutboxRelay(db, queue, { intervalMs: cfg.OUTBOX_RELAY_INTERVAL_MS }, metrics);
  relay.start();
  const worker = createArchiveWorker({ cfg, db, webank, evidence, tickets: keeper, metrics }, workerRedis, cfg);
  const sweeper = new RecoverySweeper({ cfg, db, redis: producerRedis, webank, tickets: keeper, queue, metrics });
  sweeper.start();

  let server: Server | undefined;
  const port = opts.port === undefined ? cfg.WORKER_PORT : opts.port;
  if (port !== false) {
    const app = express();
    app.use(
      healthRouter([
        { name: 'postgres', run: () => db.$queryRaw`SELECT 1` },
        { name: 'redis', run: () => producerRedis.ping() },
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
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
    server = app.listen(port, () => log.info('worker health listening', { port }));
  }

  const close = async () => {
    // Stop taking jobs and let active ones finish (BullMQ waits for them), then the rest.
    await worker.close();
    await relay.stop();
    await sweeper.stop();
    await keeper.stop();
    if (server) await closeServer(server);
    await queue.close().catch(() => undefined);
    producerRedis.disconnect();
    workerRedis.disconnect();
    if (!opts.db) await db.$disconnect();
  };
  return { db, evidence, keeper, worker, relay, sweeper, queue, metrics, webank, close };
}

if (require.main === module) {
  const cfg = config();
  startWorkerRuntime(cfg).then(
    (rt) => onShutdown([{ name: 'worker runtime', close: rt.close }], cfg.SHUTDOWN_TIMEOUT_MS),
    (err: unknown) => {
      console.error((err as Error).message);
      process.exit(1);
    },
  );
}
