import type { Config } from '../shared/platform/config';
import { createDb } from '../shared/platform/db';
import { EvidenceStore } from '../shared/evidence/evidence-store';
import { createMetrics } from '../shared/platform/metrics';
import { OutboxRelay } from '../shared/orders/outbox-relay';
import { createArchiveQueue } from '../shared/orders/archive-queue';
import { createRedis } from '../shared/platform/redis';
import { dataKey } from '../shared/platform/sealed';
import { TicketReader } from '../shared/webank/tickets/ticket-reader';
import { SignTicketRereader } from '../shared/webank/tickets/ticket-reread';
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
  // The workers keep tokens and tickets fresh; the web only re-reads the SIGN ticket with the held
  // token when a callback's signature matches none we hold, at most once a minute per app
  // cluster-wide and a few times per client address: a flood of forgeries cannot take tokens.
  const ticketRereader = SignTicketRereader.fromConfig(cfg, new TicketReader({ db, redis, config: cfg }), redis);
  const relay = new OutboxRelay(
    db,
    archiveQueue,
    { intervalMs: cfg.OUTBOX_RELAY_INTERVAL_MS, appIds: cfg.apps.map((a) => a.appId) },
    metrics,
  );
  const evidence = EvidenceStore.fromConfig(cfg);
  const recorder = new ResultRecorder(db, archiveQueue);
  return { cfg, db, redis, archiveQueue, metrics, tickets, ticketRereader, relay, evidence, recorder };
}
