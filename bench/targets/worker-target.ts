/**
 * One worker replica as src/workers/main.ts runs it (archive worker, ticket keeper, outbox relay,
 * recovery sweeper), configured by the environment the bench passes (ARCHIVE_CONCURRENCY,
 * ARCHIVE_RATE_PER_SECOND=0, the simulator as WeBank, fauxqs as S3).
 */
import { config } from '../../src/shared/platform/config';
import { startWorkerRuntime } from '../../src/workers/main';
import { onStop, run, send } from './ipc';

run(async () => {
  const cfg = config();
  const rt = await startWorkerRuntime(cfg, { port: false });
  await rt.worker.waitUntilReady();
  onStop(() => rt.close());
  send({ type: 'ready', concurrency: cfg.ARCHIVE_CONCURRENCY });
});
