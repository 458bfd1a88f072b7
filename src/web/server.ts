import { config } from '../shared/platform/config';
import { componentLogger } from '../shared/platform/logger';
import { describeRedis } from '../shared/platform/redis';
import { closeServer, onShutdown } from '../shared/platform/shutdown';
import { createApp, webChecks } from './app';
import { createOpsApp } from './ops';
import { createWebDeps } from './web-deps';
import { queueDashboardRouter } from './queue-dashboard';

const log = componentLogger('web');

/** Web entry point: the callback receiver (and, as features land, the partner API and staff console). */
export async function main(): Promise<void> {
  const cfg = config();
  const deps = createWebDeps(cfg);
  const { db, redis, archiveQueue, tickets, ticketRereader, relay, evidence, recorder } = deps;
  let draining = false;
  const checks = [
    // Fails first on SIGTERM so a load balancer stops routing here while requests drain.
    {
      name: 'accepting',
      run: async () => {
        if (draining) throw new Error('shutting down');
      },
    },
    ...webChecks({ db, redis, evidence, cfg, tickets }),
  ];
  const extraRouters = [queueDashboardRouter({ db, cfg, queues: [archiveQueue] })];
  const app = createApp({ ...deps, extraRouters });
  const server = app.listen(cfg.PORT, () =>
    log.info('web listening', { port: cfg.PORT, callbackPath: cfg.CALLBACK_PATH, redis: describeRedis(cfg.redis) }),
  );
  // /healthz, /readyz and /metrics for the orchestrator and Prometheus: never on the public port.
  const ops = createOpsApp({ cfg, db, metrics: deps.metrics, checks }).listen(cfg.OPS_PORT, () =>
    log.info('web ops endpoints listening', { port: cfg.OPS_PORT }),
  );
  relay.start();
  onShutdown(
    [
      {
        name: 'readiness',
        close: async () => {
          draining = true;
        },
      },
      { name: 'http', close: () => closeServer(server) },
      { name: 'ops http', close: () => closeServer(ops) },
      // Requests still open at the deadline may have batches in flight: let them land.
      { name: 'result recorder', close: () => recorder.drain() },
      { name: 'outbox relay', close: () => relay.stop() },
      { name: 'ticket re-reader', close: async () => ticketRereader.close() },
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
