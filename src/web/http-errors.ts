import type { ErrorRequestHandler, Request, Response } from 'express';
import { AppError } from '../shared/platform/errors';
import { componentLogger } from '../shared/platform/logger';
import { html } from './console/html';
import { baseOf, page, sendPage } from './console/layout';
import { tOf } from './console/locale';

const log = componentLogger('http');

/** What a failed request becomes: the answer's status, code and words, and whether we log it. */
export interface HttpError {
  status: number;
  /** Stable, for programs (`not_found`, `too_large`, `internal`, …). */
  code: string;
  /** Safe to show: our own words only, never the request's values or an unknown error's message. */
  message: string;
  details?: Record<string, unknown>;
  /** Our faults (5xx) are logged with the error; a client's mistakes and refusals are not (the audit trail has those). */
  log: boolean;
}

/** Client errors from Express and its body parsers that deserve their own code. */
const CLIENT_ERRORS: Partial<Record<number, Pick<HttpError, 'code' | 'message'>>> = {
  413: { code: 'too_large', message: 'request body too large' },
  415: { code: 'unsupported_media_type', message: 'unsupported content type, encoding or charset' },
};

/**
 * Express and its body parsers (through http-errors) mark what the client got wrong with equal
 * `status` and `statusCode` in 400..499. Other errors that carry a `status` (a WeBank HTTP error,
 * say) describe someone else's answer, not this request: they are ours to fix, hence a 500.
 */
function expressClientStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  if (typeof status !== 'number' || status !== statusCode || !Number.isInteger(status)) return undefined;
  return status >= 400 && status < 500 ? status : undefined;
}

/** The one mapping from an error to what the caller is told. */
export function httpErrorOf(err: unknown): HttpError {
  if (err instanceof AppError) {
    const details = err.details ? { details: err.details } : {};
    return { status: err.status, code: err.code, message: err.message, ...details, log: err.status >= 500 };
  }
  const status = expressClientStatus(err);
  if (status !== undefined) {
    return { status, ...(CLIENT_ERRORS[status] ?? { code: 'bad_request', message: 'malformed request' }), log: false };
  }
  return { status: 500, code: 'internal', message: 'internal error', log: true };
}

/** Writes the answer for an error that has not started a response yet. */
export type ErrorRenderer = (req: Request, res: Response, e: HttpError) => void;

/** JSON: `{ error, message, details? }`, for the partner API, the ops routes and scripts. */
export const renderJsonError: ErrorRenderer = (_req, res, e) => {
  res.status(e.status).json({ error: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) });
};

/** Error codes with their own words in the catalogues (errors.code.*); others get the status's words. */
const WORDED_CODES = new Set([
  'bad_request',
  'unauthorized',
  'forbidden',
  'csrf',
  'not_found',
  'conflict',
  'rate_limited',
  'evidence_missing',
  'export_not_configured',
  'too_large',
  'unsupported_media_type',
  'uri_too_long',
  'unavailable',
  'purpose_required',
  'integrity_failed',
  'ambiguous',
  'internal',
]);
const HEADED_STATUSES = new Set([400, 401, 403, 404, 409, 429, 500, 503]);

/**
 * HTML in the console's page chrome (with the menu when someone is signed in), for staff in a
 * browser (console pages, the queue dashboard), in their language. Staff read our catalogue's
 * words for the error's code, never the developer message (that stays in JSON for scripts and in
 * the log). `consoleBase` is where the console is mounted, for the links back into it.
 */
export function renderHtmlError(req: Request, res: Response, e: HttpError, consoleBase = baseOf(req)): void {
  const t = tOf(req, res);
  const headingStatus = HEADED_STATUSES.has(e.status) ? e.status : e.status >= 500 ? 500 : 400;
  const heading = t(`errors.heading.${headingStatus}`);
  const words = WORDED_CODES.has(e.code)
    ? t(`errors.code.${e.code}`)
    : e.status >= 500
      ? t('errors.code.internal')
      : t('errors.generic', { status: e.status });
  const login = e.status === 401 ? html` <a href="${consoleBase}/login">${t('errors.login')}</a>` : '';
  const body = html`<h1>${heading}</h1>
    <p class="error" role="alert" data-error-code="${e.code}">${words}</p>
    <p>${login} <a href="${consoleBase}/">${t('errors.back')}</a></p>`;
  sendPage(res, e.status, page(req, res, heading, body, consoleBase));
}

/**
 * Answers a failed request with `render`: logs it once if the mapping says so (the logger
 * redacts), and when the response has already started, cuts the connection instead, so the
 * client sees a broken transfer rather than a complete-looking truncated body.
 */
export function answerError(req: Request, res: Response, err: unknown, render: ErrorRenderer): void {
  const e = httpErrorOf(err);
  const cutOff = res.headersSent;
  if (e.log || cutOff) {
    const path = `${req.baseUrl}${req.path}`.slice(0, 300);
    log.error('request failed', { method: req.method, path, status: e.status, code: e.code, cutOff, err });
  }
  if (cutOff) {
    res.destroy();
    return;
  }
  res.set('Cache-Control', 'no-store');
  render(req, res, e);
}

/** The app-wide handler: JSON. */
export const jsonErrorHandler: ErrorRequestHandler = (err, req, res, _next) =>
  answerError(req, res, err, renderJsonError);

/**
 * For routers that browsers navigate (the console, the queue dashboard): HTML when the client
 * prefers it, JSON otherwise (the console's script, staff API tokens, curl).
 */
export function browserErrorHandler(opts: { consoleBase?: string } = {}): ErrorRequestHandler {
  return (err, req, res, _next) =>
    answerError(req, res, err, (q, s, e) =>
      q.accepts(['json', 'html']) === 'html' ? renderHtmlError(q, s, e, opts.consoleBase) : renderJsonError(q, s, e),
    );
}
