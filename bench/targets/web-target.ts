/**
 * The service's web process as src/web/server.ts builds it (createApp with PostgreSQL, Redis,
 * the archive queue, the ticket store, metrics, the evidence store and the outbox relay), from
 * the environment the bench passes, listening on a free loopback port.
 *
 * One extra route, /bench/evidence?key=, streams an object through EvidenceStore.get; the
 * retrieval section uses it only if the console's evidence route is not available.
 */
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import { config } from '../../src/shared/config';
import { createDb } from '../../src/shared/db';
import { EvidenceStore } from '../../src/shared/evidence-store';
import { createMetrics } from '../../src/shared/metrics';
import { OutboxRelay } from '../../src/shared/outbox-relay';
import { createArchiveQueue } from '../../src/shared/queues';
import { createRedis } from '../../src/shared/redis';
import { dataKey } from '../../src/shared/sealed';
import { TicketStore } from '../../src/shared/tickets/ticket-store';
import { createApp, webChecks } from '../../src/web/app';
import { onStop, run, send } from './ipc';

run(async () => {
  const cfg = config();
  const db = createDb(cfg.DATABASE_URL, cfg.DATABASE_POOL_SIZE);
  const redis = createRedis(cfg.REDIS_URL, 'producer', 'web');
  const archiveQueue = createArchiveQueue(redis, cfg.QUEUE_PREFIX, { backoffMs: cfg.ARCHIVE_BACKOFF_MS });
  const metrics = createMetrics({ defaults: true });
  const tickets = new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY));
  const relay = new OutboxRelay(db, archiveQueue, { intervalMs: cfg.OUTBOX_RELAY_INTERVAL_MS, appIds: cfg.apps.map((a) => a.appId) }, metrics);
  const evidence = EvidenceStore.fromConfig(cfg);
  const checks = webChecks({ db, redis, evidence, cfg, tickets });

  const fallback = express.Router();
  fallback.get('/bench/evidence', async (req, res) => {
    const object = await evidence.get(String(req.query.key), req.get('range'));
    res.status(object.partial ? 206 : 200).set({
      'Content-Type': object.contentType,
      'Content-Length': String(object.contentLength),
      ...(object.contentRange ? { 'Content-Range': object.contentRange } : {}),
    });
    await pipeline(object.body, res);
  });

  const app = createApp({ cfg, db, archiveQueue, tickets, metrics, evidence, redis, checks, extraRouters: [fallback] });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  relay.start();
  // Connect before the first request is timed (BullMQ waits for 'ready' on the first add).
  await db.$queryRaw`SELECT 1`;
  await archiveQueue.waitUntilReady();
  onStop(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await relay.stop();
    await archiveQueue.close().catch(() => undefined);
    redis.disconnect();
    evidence.client.destroy();
    await db.$disconnect();
  });
  send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
