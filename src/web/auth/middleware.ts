import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RedisClient } from '../../shared/platform/redis';
import { recordAudit, type AuditAction } from '../../shared/compliance/audit';
import type { Config } from '../../shared/platform/config';
import type { Db } from '../../shared/platform/db';
import { AppError, forbidden, tooManyRequests, unauthorized } from '../../shared/platform/errors';
import { FailureCounter } from '../../shared/platform/rate-limit';
import { componentLogger } from '../../shared/platform/logger';
import { roleAtLeast, type Role } from '../../shared/compliance/staff/roles';
import { csrfOk } from './csrf';
import { actorOf, requestContext, type PartnerPrincipal, type StaffPrincipal } from './principal';
import { loadSession } from './sessions';
import { bearerToken, findActiveToken, touchToken } from '../../shared/compliance/staff/api-tokens';

const log = componentLogger('auth');

export interface AuthDeps {
  db: Db;
  cfg: Config;
  /** Counts failed authentications per address (AUTH_FAILURES_PER_IP_PER_MINUTE); without it nothing is throttled. */
  redis?: RedisClient;
}

export interface RequireStaffOptions {
  /** HTML pages redirect an anonymous visitor to the login page instead of answering 401. */
  page?: boolean;
  /** The action a refusal is audited as (default `access`). */
  action?: AuditAction;
}

const csrfRejected = () => new AppError('csrf', 403, 'missing or invalid CSRF token; reload the page');

/**
 * The console's authentication: sessions (cookie) and staff API tokens for `requireStaff`,
 * partner API tokens for `requirePartnerToken`. Every refusal (401, 403, CSRF) writes one audit row.
 */
export function createAuth(deps: AuthDeps) {
  const { db, cfg } = deps;
  const failures = deps.redis
    ? new FailureCounter(deps.redis, `${cfg.QUEUE_PREFIX}:authfail`, cfg.AUTH_FAILURES_PER_IP_PER_MINUTE, 60)
    : undefined;

  /**
   * Before any credential is looked up: an address over its failure limit is refused (429) at
   * once. Its refusals are audited too, folded like every denial (see recordAudit).
   */
  async function throttle(req: Request, res: Response, realm: string): Promise<void> {
    if (!failures || !(await failures.over(req.ip ?? 'unknown'))) return;
    await recordAudit(db, {
      actor: 'anonymous',
      action: 'access',
      outcome: 'denied',
      target: `${req.method} ${req.baseUrl}${req.path}`.slice(0, 300),
      ...requestContext(req),
      detail: { status: 429, realm, reason: 'rate_limited' },
    });
    res.set('Retry-After', '60');
    throw tooManyRequests('too many failed authentications from this address; try again later');
  }

  const failed = (req: Request) => failures?.note(req.ip ?? 'unknown');

  /** The staff member of a request, or why there is none. A presented bearer token never falls back to the cookie. */
  async function resolveStaff(req: Request): Promise<StaffPrincipal | undefined> {
    const bearer = bearerToken(req.get('authorization'));
    if (bearer === undefined) return loadSession(db, cfg, req);
    const row = await findActiveToken(db, bearer);
    if (!row || row.kind !== 'staff' || !row.staffUser || row.staffUser.disabledAt) return undefined;
    touchToken(db, row).catch((err: Error) => log.warn('could not record token use', { error: err.message }));
    return {
      via: 'token',
      userId: row.staffUser.id,
      username: row.staffUser.username,
      role: row.staffUser.role,
      appKeys: row.staffUser.appKeys,
      actor: `user:${row.staffUser.username}`,
      tokenId: row.id,
      tokenIssuedBy: row.issuedBy,
    };
  }

  async function deny(
    req: Request,
    staff: StaffPrincipal | undefined,
    action: AuditAction,
    detail: Record<string, unknown>,
  ) {
    await recordAudit(db, {
      ...actorOf(staff),
      action,
      outcome: 'denied',
      target: `${req.method} ${req.baseUrl}${req.path}`.slice(0, 300),
      ...requestContext(req),
      detail,
    });
  }

  /** Lets through staff of role `min` or stronger, by session cookie (with CSRF on unsafe methods) or staff token. */
  function requireStaff(min: Role, opts: RequireStaffOptions = {}): RequestHandler {
    const action = opts.action ?? 'access';
    return async (req: Request, res: Response, next: NextFunction) => {
      await throttle(req, res, 'console');
      const staff = await resolveStaff(req);
      if (!staff) {
        await failed(req);
        await deny(req, undefined, action, { status: 401 });
        if (opts.page && req.method === 'GET') {
          res.redirect(303, `${req.baseUrl}/login?next=${encodeURIComponent(req.originalUrl)}`);
          return;
        }
        res.set('WWW-Authenticate', 'Bearer realm="console"');
        throw unauthorized('log in or present a staff API token');
      }
      if (!roleAtLeast(staff.role, min)) {
        await deny(req, staff, action, { status: 403, required: min });
        // Known but not allowed: the 403 page still draws this person's menu.
        res.locals.staff = staff;
        throw forbidden(`requires the ${min} role`);
      }
      if (!csrfOk(req, staff)) {
        await deny(req, staff, action, { status: 403, reason: 'csrf' });
        throw csrfRejected();
      }
      res.locals.staff = staff;
      next();
    };
  }

  /** Lets through a partner backend presenting a live partner token; sets `res.locals.partner`. */
  function requirePartnerToken(): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction) => {
      await throttle(req, res, 'partner');
      const bearer = bearerToken(req.get('authorization'));
      const row = bearer === undefined ? null : await findActiveToken(db, bearer);
      if (!row || row.kind !== 'partner') {
        await failed(req);
        await recordAudit(db, {
          actor: 'anonymous',
          action: 'access',
          outcome: 'denied',
          target: `${req.method} ${req.baseUrl}${req.path}`.slice(0, 300),
          ...requestContext(req),
          detail: { status: 401, realm: 'partner', reason: bearer === undefined ? 'no_token' : 'invalid_token' },
        });
        res.set('WWW-Authenticate', 'Bearer realm="partner"');
        throw unauthorized('a valid partner API token is required');
      }
      touchToken(db, row).catch((err: Error) => log.warn('could not record token use', { error: err.message }));
      const partner: PartnerPrincipal = { tokenId: row.id, name: row.name, appKey: row.appKey, scopes: row.scopes };
      res.locals.partner = partner;
      next();
    };
  }

  return { requireStaff, requirePartnerToken, resolveStaff };
}

export type Auth = ReturnType<typeof createAuth>;

/** Whether a partner token may act for the app with this configured key (null appKey = every app). */
export function partnerMayUseApp(partner: PartnerPrincipal, appKey: string): boolean {
  return partner.appKey === null || partner.appKey === appKey;
}
