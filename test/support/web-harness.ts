import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../../src/shared/platform/redis';
import { loadConfig, type Config } from '../../src/shared/platform/config';
import { createDb, type Db } from '../../src/shared/platform/db';
import { createMetrics, type Metrics } from '../../src/shared/platform/metrics';
import { createArchiveQueue, type ArchiveJobData } from '../../src/shared/orders/archive-queue';
import { createRedis } from '../../src/shared/platform/redis';
import { dataKey } from '../../src/shared/platform/sealed';
import { TicketStore } from '../../src/shared/webank/tickets/ticket-store';
import { TicketReader } from '../../src/shared/webank/tickets/ticket-reader';
import { SignTicketRereader } from '../../src/shared/webank/tickets/ticket-reread';
import { createApp, webChecks } from '../../src/web/app';
import { createOpsApp } from '../../src/web/ops';
import { EvidenceStore } from '../../src/shared/evidence/evidence-store';

/** A unique id of letters and digits, for app ids and order numbers that no other test uses. */
export function uid(prefix = ''): string {
  return prefix + randomBytes(8).toString('hex');
}

/** Configuration for one test: its own app id and queue prefix on the shared PostgreSQL and Redis. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    ...process.env,
    WEBANK_APP_ID: uid('TIDA'),
    QUEUE_PREFIX: `{${uid('t')}}`,
    RESULT_REDIRECT_URL: 'https://partner.example.com/result',
    ...env,
  });
}

export interface WebHarness {
  url: string;
  /** The internal ops port's origin: /healthz, /readyz, /metrics. */
  opsUrl: string;
  cfg: Config;
  db: Db;
  redis: RedisClient;
  queue: Queue<ArchiveJobData>;
  tickets: TicketStore;
  metrics: Metrics;
  close: () => Promise<void>;
}

/** Starts the web app on a free port with real PostgreSQL and Redis. */
export async function startWeb(opts: { cfg?: Config; db?: Db; refresher?: boolean } = {}): Promise<WebHarness> {
  // Listening first, so the app's public URL (the callback of started verifications) is known.
  const server: Server = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  const given = opts.cfg ?? testConfig();
  const cfg: Config = given.PUBLIC_BASE_URL
    ? given
    : Object.freeze({ ...given, PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
  const db = opts.db ?? createDb(cfg.DATABASE_URL, 4);
  const redis = createRedis(cfg.redis, 'producer', 'test-web');
  const queue = createArchiveQueue(redis, cfg.QUEUE_PREFIX, { backoffMs: cfg.ARCHIVE_BACKOFF_MS });
  const metrics = createMetrics();
  const tickets = new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY));
  const evidence = EvidenceStore.fromConfig(cfg);
  const checks = webChecks({ db, redis, evidence, cfg, tickets });
  const ticketRereader = opts.refresher
    ? SignTicketRereader.fromConfig(cfg, new TicketReader({ db, redis, config: cfg }), redis)
    : undefined;
  const app = createApp({ cfg, db, archiveQueue: queue, tickets, ticketRereader, metrics, evidence, redis });
  server.on('request', app);
  const ops: Server = await new Promise((resolve) => {
    const s = createOpsApp({ cfg, db, metrics, checks }).listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    opsUrl: `http://127.0.0.1:${(ops.address() as { port: number }).port}`,
    cfg,
    db,
    redis,
    queue,
    tickets,
    metrics,
    close: async () => {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      ops.closeAllConnections();
      await new Promise((r) => ops.close(r));
      await queue.close().catch(() => undefined);
      ticketRereader?.close();
      redis.disconnect();
      evidence.client.destroy();
      if (!opts.db) await db.$disconnect();
    },
  };
}
