import type { NextFunction, Request, Response } from 'express';
import { countNeedsAttention, needsAttention } from '../../shared/compliance/needs-attention';
import { componentLogger } from '../../shared/platform/logger';
import { getCookie } from '../auth/cookies';
import { SESSION_COOKIE } from '../auth/sessions';
import { audit, audited, scopeOfStaff, type ConsoleDeps, type ConsoleRouters, type RouteDeps } from './deps';
import { sendPage } from './layout';
import { needsAttentionPage } from './needs-attention-page';

const log = componentLogger('console');

/** What staff must act on: `GET /api/needs-attention` and the page at /attention. */
export function needsAttentionRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;
  const load = async (req: Request, res: Response) => {
    const result = await needsAttention(db, cfg, scopeOfStaff(deps, res));
    await audit(deps, req, res, {
      action: 'search',
      outcome: 'success',
      detail: { view: 'needs-attention', results: result.total },
    });
    res.locals.attentionCount = result.total;
    return result;
  };

  api.get(
    '/needs-attention',
    auth.requireStaff('viewer', { action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      res.set('Cache-Control', 'no-store').json(await load(req, res));
    }),
  );

  pages.get(
    '/attention',
    auth.requireStaff('viewer', { page: true, action: 'search' }),
    audited(deps, 'search', async (req, res) => {
      sendPage(res, 200, needsAttentionPage(req, res, await load(req, res)));
    }),
  );
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Items in Needs attention, for the header of the page this request renders. */
      attentionCount?: number;
    }
  }
}

/**
 * The header count is shared by the pages a replica renders for a moment only: a failure found
 * a second ago must already be counted (a compliance header that says 0 then is wrong).
 */
const COUNT_TTL_MS = 1000;

/**
 * Puts the Needs attention total on `res.locals` for the header, for page requests of a signed-in
 * browser (a session cookie); the count is cached for COUNT_TTL_MS so browsing costs one query
 * per few seconds, not one per page. A failure leaves the header without a count.
 */
export function attentionCount(deps: ConsoleDeps) {
  let cached: { at: number; value: number } | undefined;
  return async (req: Request, res: Response, next: NextFunction) => {
    if (
      req.method !== 'GET' ||
      !getCookie(req, deps.cfg, SESSION_COOKIE) ||
      req.path.startsWith('/api/') ||
      req.path.startsWith('/static/')
    )
      return next();
    try {
      if (!cached || Date.now() - cached.at > COUNT_TTL_MS)
        cached = { at: Date.now(), value: await countNeedsAttention(deps.db, deps.cfg) };
      res.locals.attentionCount = cached.value;
    } catch (err) {
      log.warn('could not count Needs attention', { error: (err as Error).message });
    }
    next();
  };
}
