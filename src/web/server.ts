import { config } from '../shared/config';
import { createDb } from '../shared/db';
import { componentLogger } from '../shared/logger';
import { createMetrics } from '../shared/metrics';
import { OutboxRelay } from '../shared/outbox-relay';
import { createArchiveQueue } from '../shared/queues';
import { createRedis } from '../shared/redis';
import { closeServer, onShutdown } from '../shared/runtime';
import { dataKey } from '../shared/sealed';
import { TicketStore } from '../shared/tickets/ticket-store';
import { TicketKeeper } from '../shared/tickets/keeper';
import { createApp, webChecks } from './app';
import { EvidenceStore } from '../shared/evidence-store';
import { queueDashboardRouter } from './queue-dashboard';

const log = componentLogger('web');

/** Web entry point: the callback receiver (and, as features land, the partner API and staff console). */
export async function main(): Promise<void> {
  const cfg = config();
  const db = createDb(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE);
  const redis = createRedis(cfg.REDIS_URL, 'producer', 'web');
  const archiveQueue = createArchiveQueue(redis, cfg.QUEUE_PREFIX, { backoffMs: cfg.ARCHIVE_BACKOFF_MS });
  const metrics = createMetrics({ defaults: true });
  const tickets = new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY));
  // Not started: the workers keep tickets fresh; the web asks for a refresh only when a callback's
  // signature matches no held ticket — one refresh cluster-wide, and none while the ticket is
  // younger than the keeper's minimum gap (5 s), so a flood of forgeries cannot hammer WeBank.
  const ticketRefresher = new TicketKeeper({ db, redis, config: cfg });
  const relay = new OutboxRelay(db, archiveQueue, { intervalMs: cfg.OUTBOX_RELAY_INTERVAL_MS, appIds: cfg.apps.map((a) => a.appId) }, metrics);
  const evidence = EvidenceStore.fromConfig(cfg);
  let draining = false;
  const checks = [
    // Fails first on SIGTERM so a load balancer stops routing here while requests drain.
    { name: 'accepting', run: async () => { if (draining) throw new Error('shutting down'); } },
    ...webChecks({ db, redis, evidence, cfg, tickets }),
  ];
  const extraRouters = [queueDashboardRouter({ db, cfg, queues: [archiveQueue] })];
  const app = createApp({ cfg, db, archiveQueue, tickets, ticketRefresher, metrics, evidence, redis, checks, extraRouters });
  const server = app.listen(cfg.PORT, () => log.info('web listening', { port: cfg.PORT, callbackPath: cfg.CALLBACK_PATH }));
  relay.start();
  onShutdown(
    [
      { name: 'readiness', close: async () => { draining = true; } },
      { name: 'http', close: () => closeServer(server) },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'ticket refresher', close: () => ticketRefresher.stop() },
      { name: 'queue', close: () => archiveQueue.close() },
      { name: 'redis', close: () => redis.quit() },
      { name: 'db', close: () => db.$disconnect() },
      { name: 's3', close: async () => evidence.client.destroy() },
    ],
    cfg.SHUTDOWN_TIMEOUT_MS,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
