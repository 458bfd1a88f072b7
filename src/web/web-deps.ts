import type { Config } from '../shared/platform/config';
import { createDb } from '../shared/platform/db';
import { EvidenceStore } from '../shared/evidence/evidence-store';
import { createMetrics } from '../shared/platform/metrics';
import { OutboxRelay } from '../shared/orders/outbox-relay';
import { createArchiveQueue } from '../shared/orders/archive-queue';
import { createRedis } from '../shared/platform/redis';
import { dataKey } from '../shared/platform/sealed';
import { TicketKeeper } from '../shared/webank/tickets/keeper';
import { TicketStore } from '../shared/webank/tickets/ticket-store';
import { ResultRecorder } from './result-recorder';

/**
 * The clients and services of one web process, built once here so the entry point and the
 * benchmark's web target run the same thing. Nothing is started; the caller starts the relay.
 */
export function createWebDeps(cfg: Config) {
  const db = createDb(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE);
  const redis = createRedis(cfg.redis, 'producer', 'web');
  const archiveQueue = createArchiveQueue(redis, cfg.QUEUE_PREFIX, { backoffMs: cfg.ARCHIVE_BACKOFF_MS });
  const metrics = createMetrics({ defaults: true });
  const tickets = new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY));
  // Not started: the workers keep tickets fresh; the web asks for a refresh only when a callback's
  // signature matches no held ticket — one refresh cluster-wide, and none while the ticket is
  // younger than the keeper's minimum gap (5 s), so a flood of forgeries cannot hammer WeBank.
  const ticketRefresher = new TicketKeeper({ db, redis, config: cfg });
  const relay = new OutboxRelay(
    db,
    archiveQueue,
    { intervalMs: cfg.OUTBOX_RELAY_INTERVAL_MS, appIds: cfg.apps.map((a) => a.appId) },
    metrics,
  );
  const evidence = EvidenceStore.fromConfig(cfg);
  const recorder = new ResultRecorder(db, archiveQueue);
  return { cfg, db, redis, archiveQueue, metrics, tickets, ticketRefresher, relay, evidence, recorder };
}
