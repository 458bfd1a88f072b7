import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../shared/platform/errors';
import { componentLogger } from '../../shared/platform/logger';
import { html } from './html';
import { baseOf, page, sendPage } from './layout';

const log = componentLogger('console');

/**
 * Renders console errors: an HTML page for browsers navigating, JSON for API clients. Only
 * AppError messages (written by us, free of personal data) reach the client; anything else is
 * a generic 500, logged through the redacting logger.
 */
export function consoleErrorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const e = err as { status?: number; type?: string };
  const status =
    err instanceof AppError
      ? err.status
      : typeof e.status === 'number' && e.status >= 400 && e.status < 500
        ? e.status
        : 500;
  if (status >= 500)
    log.error('console request failed', { method: req.method, path: `${req.baseUrl}${req.path}`, err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body =
    err instanceof AppError
      ? { error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
      : status === 413
        ? { error: 'too_large', message: 'request body too large' }
        : status < 500
          ? { error: 'bad_request', message: 'malformed request' }
          : { error: 'internal', message: 'internal error' };
  res.set('Cache-Control', 'no-store');
  if (req.accepts(['json', 'html']) === 'html') {
    const login = status === 401 ? html` <a href="${baseOf(req)}/login">Log in</a>` : '';
    sendPage(
      res,
      status,
      page(
        req,
        res,
        `Error ${status}`,
        html`<h1>${status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Error'}</h1>
          <p class="error" role="alert">${body.message}</p>
          <p>${login} <a href="${baseOf(req)}/">Back to orders</a></p>`,
      ),
    );
    return;
  }
  res.status(status).json(body);
}
