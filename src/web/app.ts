import express from 'express';
import helmet from 'helmet';
import type { Queue } from 'bullmq';
import type { Config } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { AppError, notFound } from '../shared/platform/errors';
import type { Metrics } from '../shared/platform/metrics';
import type { ArchiveJobData } from '../shared/orders/archive-queue';
import type { TicketStore } from '../shared/webank/tickets/ticket-store';
import { TicketCandidateCache, type CandidateSource } from '../shared/webank/tickets/candidate-cache';
import { CredentialConflicts, credentialConflictCheck } from '../shared/webank/tickets/credential-conflicts';
import { ResultRedirects } from '../shared/orders/result-redirects';
import { VerificationStarter } from '../shared/orders/verification-start';
import { ResultRecorder } from './result-recorder';
import { redisHealth, type RedisClient } from '../shared/platform/redis';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { livenessRouter, type Check } from '../shared/platform/health';
import { createAuth } from './auth/middleware';
import { callbackRouter } from './callback';
import { createConsoleRouter } from './console';
import { jsonErrorHandler } from './http-errors';
import { addOrderResultRoutes } from './order-results';
import { partnerApiRouter } from './partner-api';
import { verificationsRouter } from './verifications';
import type { VerifyDeps } from './verify-result';

export interface AppDeps {
  cfg: Config;
  db: Db;
  archiveQueue: Queue<ArchiveJobData>;
  tickets: CandidateSource;
  /** How long the callback path reuses one read of the valid tickets (default 1000 ms; 0: every request reads). */
  ticketCacheMs?: number;
  /** Batches the recording and queueing of verified results; one is made if absent. */
  recorder?: ResultRecorder;
  /** Re-reads the SIGN ticket (never a token) when a signature matches no held ticket (see verify-result.ts). */
  ticketRereader?: VerifyDeps['ticketRereader'];
  metrics: Metrics;
  evidence: EvidenceStore;
  /** Producer connection: partner rate limits, readiness. */
  redis: RedisClient;
  /** Routers mounted before the 404 handler (e.g. the queue dashboard). */
  extraRouters?: express.Router[];
  /** Starts verifications for partners (`POST /api/verifications`); one is made from the config if absent. */
  starter?: VerificationStarter;
}

/** What /readyz checks in the web process (served on OPS_PORT, see ops.ts). */
export function webChecks(
  deps: Pick<AppDeps, 'db' | 'redis' | 'evidence' | 'cfg'> & { tickets: Pick<TicketStore, 'current'> },
): Check[] {
  return [
    { name: 'postgres', run: () => deps.db.$queryRaw`SELECT 1` },
    { name: 'redis', run: () => redisHealth(deps.redis, deps.cfg.QUEUE_PREFIX) },
    { name: 's3', run: () => deps.evidence.ping() },
    {
      name: 'tickets',
      run: async () => {
        const missing: string[] = [];
        for (const app of deps.cfg.apps) if (!(await deps.tickets.current(app.appId))) missing.push(app.appId);
        if (missing.length) throw new Error(`no valid SIGN ticket for ${missing.join(', ')}`);
      },
    },
    credentialConflictCheck(
      CredentialConflicts.fromConfig(deps.db, deps.cfg),
      deps.cfg.apps.map((a) => a.appId),
    ),
  ];
}

/** Builds the web app without listening, so tests can start it on port 0. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.cfg.TRUST_PROXY);
  app.set('query parser', 'simple');
  app.use(helmet({ contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } } }));
  app.use((req, _res, next) => {
    // WeBank's redirect URLs are short; anything longer is not ours.
    next(req.originalUrl.length > 4096 ? new AppError('uri_too_long', 414, 'URI too long') : undefined);
  });
  const ticketCacheMs = deps.ticketCacheMs ?? 1000;
  const resultRedirects = new ResultRedirects(deps.redis, deps.cfg.QUEUE_PREFIX);
  const verifyDeps = {
    ...deps,
    tickets: ticketCacheMs > 0 ? new TicketCandidateCache(deps.tickets, ticketCacheMs) : deps.tickets,
    recorder: deps.recorder ?? new ResultRecorder(deps.db, deps.archiveQueue),
    resultRedirects,
  };
  // The hot route first: every redirect passes the routers mounted before it.
  app.use(callbackRouter(verifyDeps));
  // Only liveness here: /readyz and /metrics are on the internal ops port (src/web/ops.ts).
  app.use(livenessRouter());
  const auth = createAuth(deps);
  const partnerRouter = partnerApiRouter({ ...verifyDeps, auth, ratePerMinute: deps.cfg.PARTNER_RATE_PER_MINUTE });
  // The read API sits behind the partner router's token check and rate limit on /api/orders.
  addOrderResultRoutes(partnerRouter, deps);
  app.use(partnerRouter);
  app.use(
    verificationsRouter({
      cfg: deps.cfg,
      db: deps.db,
      redis: deps.redis,
      auth,
      starter: deps.starter ?? VerificationStarter.fromConfig(deps.cfg, deps.db, resultRedirects),
    }),
  );
  app.use(
    '/console',
    createConsoleRouter({
      db: deps.db,
      cfg: deps.cfg,
      evidence: deps.evidence,
      archiveQueue: deps.archiveQueue,
      redis: deps.redis,
    }),
  );
  for (const router of deps.extraRouters ?? []) app.use(router);
  app.use((_req, _res, next) => next(notFound('no such route')));
  // The one place errors become responses outside the console and the queue dashboard (see http-errors.ts).
  app.use(jsonErrorHandler);
  return app;
}
