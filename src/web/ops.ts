import express from 'express';
import type { Config } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { notFound } from '../shared/platform/errors';
import { healthRouter, type Check } from '../shared/platform/health';
import type { Metrics } from '../shared/platform/metrics';
import { CredentialConflicts, sampleConflictMetrics } from '../shared/webank/tickets/credential-conflicts';
import { jsonErrorHandler } from './http-errors';

export interface OpsDeps {
  cfg: Config;
  db: Db;
  metrics: Metrics;
  /** Readiness checks for /readyz (see webChecks). */
  checks: readonly Check[];
}

/**
 * The web process's internal port (OPS_PORT), like the worker's WORKER_PORT: `/healthz`,
 * `/readyz` and `/metrics`. They name app ids, verdict counts and dependency errors, so they are
 * never on the public port (issue 15); expose OPS_PORT to the orchestrator and Prometheus only.
 */
export function createOpsApp(deps: OpsDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const appIds = deps.cfg.apps.map((a) => a.appId);
  const conflicts = CredentialConflicts.fromConfig(deps.db, deps.cfg);
  app.use(healthRouter(deps.checks));
  app.get('/metrics', async (_req, res) => {
    await sampleConflictMetrics(conflicts, deps.metrics, appIds).catch(() => undefined);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use((_req, _res, next) => next(notFound('no such route')));
  app.use(jsonErrorHandler);
  return app;
}
