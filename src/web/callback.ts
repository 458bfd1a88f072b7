import { Router, type Request, type Response } from 'express';
import type { Queue } from 'bullmq';
import { appByKey, type Config, type WebankApp } from '../shared/config';
import type { Db } from '../shared/db';
import { componentLogger } from '../shared/logger';
import { markEnqueued, recordRejectedCallback, recordVerifiedResult, type RecordOutcome } from '../shared/orders';
import { enqueueArchive, type ArchiveJobData } from '../shared/queues';
import { verifyCallback } from '../shared/webank/signature';
import type { TicketStore } from '../shared/tickets/ticket-store';
import { readCallbackQuery, type CallbackParams } from './callback-params';
import { renderResultPage } from './result-page';
import type { Metrics } from '../shared/metrics';

const log = componentLogger('callback');

export interface CallbackDeps {
  cfg: Config;
  db: Db;
  tickets: Pick<TicketStore, 'validAround'>;
  archiveQueue: Queue<ArchiveJobData>;
  metrics?: Metrics;
}

export type Outcome = 'verified' | 'failed' | 'rejected';

/**
 * The H5 redirect: WeBank sends the user's browser here (GET) after the scan.
 * Verify, record (order + outbox mark + event in one transaction), try to enqueue, answer at once.
 */
export function callbackRouter(deps: CallbackDeps): Router {
  const router = Router();
  const path = deps.cfg.CALLBACK_PATH;
  router.get(path, (req, res) => handle(deps, 'default', req, res));
  router.get(`${path}/:appKey`, (req, res) => handle(deps, String(req.params.appKey), req, res));
  return router;
}

async function handle(deps: CallbackDeps, appKey: string, req: Request, res: Response): Promise<void> {
  const started = process.hrtime.bigint();
  const verdict = await process_(deps, appKey, req, res).catch((err: unknown) => {
    log.error('callback failed', { err });
    if (!res.headersSent) renderResultPage(res, 503, 'Service temporarily unavailable', 'Please try again in a moment.');
    return 'error';
  });
  deps.metrics?.callbackTotal.inc({ verdict });
  deps.metrics?.callbackSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
}

async function process_(deps: CallbackDeps, appKey: string, req: Request, res: Response): Promise<string> {
  const { cfg, db } = deps;
  const who = { clientIp: req.ip, userAgent: req.get('user-agent')?.slice(0, 256) };
  const app = /^[A-Za-z0-9_-]{1,32}$/.test(appKey) ? appByKey(cfg, appKey) : undefined;
  const parsed = readCallbackQuery(req.query);
  if (!app) {
    await recordRejectedCallback(db, {
      channel: 'redirect', verdict: 'invalid', reason: 'unknown app key', params: parsed.params, ...who,
    });
    renderResultPage(res, 404, 'Unknown verification channel', 'This link does not belong to a configured application.');
    return 'unknown_app';
  }
  if (!parsed.ok) {
    await recordRejectedCallback(db, {
      channel: 'redirect', appId: app.appId, verdict: 'invalid', reason: parsed.reason, params: parsed.params, ...who,
    });
    renderResultPage(res, 400, 'Invalid verification result', parsed.reason);
    return 'invalid';
  }
  const p = parsed.value;
  const tickets = await deps.tickets.validAround(app.appId, new Date(), cfg.TICKET_GRACE_SECONDS);
  if (tickets.length === 0) {
    await recordRejectedCallback(db, {
      channel: 'redirect', appId: app.appId, orderNo: p.orderNo, code: p.code, verdict: 'unverifiable',
      reason: 'no valid SIGN ticket held', params: parsed.params, ...who,
    });
    log.error('callback cannot be verified: no valid SIGN ticket', { appId: app.appId });
    renderResultPage(res, 503, 'Service temporarily unavailable', 'Your result could not be confirmed yet. Please try again in a moment.');
    return 'unverifiable';
  }
  const matched = verifyCallback({ appId: app.appId, orderNo: p.orderNo, code: p.code, signature: p.signature }, tickets);
  if (!matched) {
    await recordRejectedCallback(db, {
      channel: 'redirect', appId: app.appId, orderNo: p.orderNo, code: p.code, verdict: 'rejected',
      reason: 'signature mismatch', params: parsed.params, ...who,
    });
    log.warn('callback rejected: signature mismatch', { appId: app.appId, orderNo: p.orderNo });
    renderResultPage(res, 403, 'Verification result rejected', 'The result could not be authenticated.');
    return 'rejected';
  }
  const outcome = await recordVerifiedResult(db, {
    appId: app.appId, orderNo: p.orderNo, product: app.product, code: p.code, h5faceId: p.h5faceId,
    channel: 'redirect', ticketMatched: matched.label, params: parsed.params, ...who,
  });
  if (outcome.verdict === 'conflict') {
    log.warn('second verified callback with a different code; first kept', { appId: app.appId, orderNo: p.orderNo });
  }
  if (outcome.enqueue) await tryEnqueue(deps, app, p, outcome);
  answer(cfg, res, p.orderNo, outcome.code === '0' ? 'verified' : 'failed');
  return outcome.verdict;
}

/** Enqueues now if Redis answers quickly; otherwise the outbox relay does it later. */
export async function tryEnqueue(
  deps: Pick<CallbackDeps, 'db' | 'archiveQueue'>,
  app: WebankApp,
  p: Pick<CallbackParams, 'orderNo'>,
  outcome: RecordOutcome,
  reason = 'callback',
): Promise<boolean> {
  try {
    await enqueueArchive(deps.archiveQueue, { appId: app.appId, orderNo: p.orderNo, product: app.product, reason }, { timeoutMs: 300 });
  } catch (err) {
    log.warn('enqueue deferred to the outbox relay', { appId: app.appId, orderNo: p.orderNo, error: (err as Error).message });
    return false;
  }
  await markEnqueued(deps.db, outcome.orderId).catch((err: unknown) => {
    // The job is in Redis; the relay will re-add it harmlessly (same job id) and clear the mark.
    log.warn('could not clear outbox mark', { orderId: outcome.orderId, error: (err as Error).message });
  });
  return true;
}

function answer(cfg: Config, res: Response, orderNo: string, outcome: Outcome): void {
  res.set('Cache-Control', 'no-store');
  if (cfg.RESULT_REDIRECT_URL) {
    const url = new URL(cfg.RESULT_REDIRECT_URL);
    url.searchParams.set('orderNo', orderNo);
    url.searchParams.set('outcome', outcome);
    res.redirect(302, url.toString());
    return;
  }
  const title = outcome === 'verified' ? 'Verification complete' : 'Verification not passed';
  renderResultPage(res, 200, title, `Order ${orderNo}: ${outcome}.`);
}
