import { Router, type Request, type Response } from 'express';
import { appByKey, type Config } from '../shared/platform/config';
import { recordRejectedCallback } from '../shared/orders/callback-results';
import { escapeControls, readCallbackQuery } from './callback-params';
import { verifyAndRecord, type VerifyDeps } from './verify-result';
import { renderResultPage } from './result-page';
import { answerFrontendError, readFrontendError } from './frontend-error';
import { answerError } from './http-errors';
import type { Metrics } from '../shared/platform/metrics';
import type { ResultRedirects } from '../shared/orders/result-redirects';
import { isSignedResultCode } from '../shared/webank/signed-result-code';

export interface CallbackDeps extends VerifyDeps {
  metrics?: Metrics;
  /** The partner's own result page of a verification we started (`redirectUrl`), if any. */
  resultRedirects?: Pick<ResultRedirects, 'lookup'>;
}

/**
 * What the partner's result page is told: WeBank's signed code as a hint (`verified`/`failed`),
 * or `checking` when the verified redirects of the order disagree and WeBank's query has not
 * answered yet — the archiver's query decides (docs/security.md).
 */
export type Outcome = 'verified' | 'failed' | 'checking';

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
    // Recording is idempotent and the browser can repeat the same redirect: every failure here reads "try again".
    answerError(req, res, err, (_req, r) =>
      renderResultPage(r, 503, 'Service temporarily unavailable', 'Please try again in a moment.'),
    );
    return 'error';
  });
  deps.metrics?.callbackTotal.inc({ verdict });
  deps.metrics?.callbackSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
}

async function process_(deps: CallbackDeps, appKey: string, req: Request, res: Response): Promise<string> {
  const { cfg, db } = deps;
  const ua = req.get('user-agent');
  const who = { clientIp: req.ip, userAgent: ua === undefined ? undefined : escapeControls(ua.slice(0, 256)) };
  const app = /^[A-Za-z0-9_-]{1,32}$/.test(appKey) ? appByKey(cfg, appKey) : undefined;
  const parsed = readCallbackQuery(req.query);
  if (!app) {
    await recordRejectedCallback(db, {
      channel: 'redirect',
      verdict: 'invalid',
      reason: 'unknown app key',
      params: parsed.params,
      ...who,
    });
    renderResultPage(
      res,
      404,
      'Unknown verification channel',
      'This link does not belong to a configured application.',
    );
    return 'unknown_app';
  }
  // Unsigned by design (1007/114178): handed to its own module before the signed path's checks.
  const frontend = parsed.ok ? undefined : readFrontendError(req.query);
  if (frontend) return answerFrontendError(db, app, frontend, req, res);
  if (!parsed.ok) {
    await recordRejectedCallback(db, {
      channel: 'redirect',
      appId: app.appId,
      verdict: 'invalid',
      reason: parsed.reason,
      params: parsed.params,
      ...who,
    });
    renderResultPage(res, 400, 'Invalid verification result', parsed.reason);
    return 'invalid';
  }
  const p = parsed.value;
  if (!isSignedResultCode(p.code)) {
    // A shifted replay of a genuine signature (see signed-result-code.ts) or junk: never verified.
    const reason = 'parameter code is not a WeBank result code ("0" or eight digits)';
    await recordRejectedCallback(db, {
      channel: 'redirect',
      appId: app.appId,
      orderNo: p.orderNo,
      verdict: 'invalid',
      reason,
      params: parsed.params,
      ...who,
    });
    renderResultPage(res, 400, 'Invalid verification result', reason);
    return 'invalid';
  }
  const result = await verifyAndRecord(deps, app, p, 'redirect', parsed.params, who);
  if (result.verdict === 'unverifiable') {
    renderResultPage(
      res,
      503,
      'Service temporarily unavailable',
      'Your result could not be confirmed yet. This page tries again by itself in a few seconds.',
      UNVERIFIABLE_RETRY_SECONDS,
    );
  } else if (result.verdict === 'rejected') {
    renderResultPage(res, 403, 'Verification result rejected', 'The result could not be authenticated.');
  } else {
    const own = await deps.resultRedirects?.lookup(app.appId, p.orderNo);
    answer(cfg, res, p.orderNo, outcomeOf(result, p.code), own);
  }
  return result.verdict;
}

/** How soon the "cannot confirm yet" page reloads itself (a ticket re-read may be allowed by then). */
const UNVERIFIABLE_RETRY_SECONDS = 5;

/**
 * WeBank's own answer once the archiver has it; otherwise this redirect's code, unless another
 * verified redirect for the order disagreed (`conflict`): then nobody can tell yet which is real.
 */
export function outcomeOf(result: { verdict: string; authoritativeCode?: string }, code: string): Outcome {
  if (result.authoritativeCode !== undefined) return result.authoritativeCode === '0' ? 'verified' : 'failed';
  if (result.verdict === 'conflict') return 'checking';
  return code === '0' ? 'verified' : 'failed';
}

function answer(cfg: Config, res: Response, orderNo: string, outcome: Outcome, redirect?: string): void {
  res.set('Cache-Control', 'no-store');
  const target = redirect ?? cfg.RESULT_REDIRECT_URL;
  if (target) {
    const url = new URL(target);
    url.searchParams.set('orderNo', orderNo);
    url.searchParams.set('outcome', outcome);
    // Not res.redirect: its content negotiation for a body no browser shows costs more than the rest of the answer.
    res.status(302).set({ Location: url.toString(), 'Content-Length': '0' }).end();
    return;
  }
  const title =
    outcome === 'verified'
      ? 'Verification complete'
      : outcome === 'checking'
        ? 'Checking your result (核验中)'
        : 'Verification not passed';
  renderResultPage(res, 200, title, `Order ${orderNo}: ${outcome}.`);
}
