/**
 * The service's web process as src/web/server.ts builds it (createWebDeps + createApp), from
 * the environment the bench passes, listening on a free loopback port.
 *
 * One extra route, /bench/evidence?key=, streams an object through EvidenceStore.get; the
 * retrieval section uses it only if the console's evidence route is not available.
 */
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import { config } from '../../src/shared/platform/config';
import { createApp } from '../../src/web/app';
import { createWebDeps } from '../../src/web/web-deps';
import { onStop, run, send } from './ipc';

run(async () => {
  const cfg = config();
  const deps = createWebDeps(cfg);
  const { db, redis, archiveQueue, ticketRereader, relay, evidence, recorder } = deps;

  const fallback = express.Router();
  fallback.get('/bench/evidence', async (req, res) => {
    const object = await evidence.get(typeof req.query.key === 'string' ? req.query.key : '', req.get('range'));
    res.status(object.partial ? 206 : 200).set({
      'Content-Type': object.contentType,
      'Content-Length': String(object.contentLength),
      ...(object.contentRange ? { 'Content-Range': object.contentRange } : {}),
    });
    await pipeline(object.body, res);
  });

  const app = createApp({ ...deps, extraRouters: [fallback] });
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
    await recorder.drain();
    await relay.stop();
    ticketRereader.close();
    await archiveQueue.close().catch(() => undefined);
    redis.disconnect();
    evidence.client.destroy();
    await db.$disconnect();
  });
  send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
