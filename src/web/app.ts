import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Queue } from 'bullmq';
import type { Config } from '../shared/config';
import type { Db } from '../shared/db';
import { AppError } from '../shared/errors';
import { componentLogger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { ArchiveJobData } from '../shared/queues';
import type { TicketStore } from '../shared/tickets/ticket-store';
import { callbackRouter } from './callback';

const log = componentLogger('http');

export interface AppDeps {
  cfg: Config;
  db: Db;
  archiveQueue: Queue<ArchiveJobData>;
  tickets: Pick<TicketStore, 'validAround'>;
  metrics: Metrics;
  /** Routers added by later features (console, partner API, health), mounted in order. */
  extraRouters?: express.Router[];
}

/** Builds the web app without listening, so tests can start it on port 0. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.cfg.TRUST_PROXY);
  app.set('query parser', 'simple');
  app.use(helmet({ contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } } }));
  app.use((req, res, next) => {
    // WeBank's redirect URLs are short; anything longer is not ours.
    if (req.originalUrl.length > 4096) {
      res.status(414).type('text').send('URI too long');
      return;
    }
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.use(callbackRouter(deps));
  for (const router of deps.extraRouters ?? []) app.use(router);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such route' });
  });
  app.use(errorHandler);
  return app;
}

/** The one place errors become responses: AppError as-is, anything else as a 500 without details. */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const status = err instanceof AppError ? err.status : (err as { status?: number }).status ?? 500;
  if (status >= 500) log.error('request failed', { method: req.method, path: req.path, err });
  if (res.headersSent) {
    res.end();
    return;
  }
  const body =
    err instanceof AppError
      ? { error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
      : status < 500
        ? { error: 'bad_request', message: 'malformed request' }
        : { error: 'internal', message: 'internal error' };
  res.status(status).json(body);
}
