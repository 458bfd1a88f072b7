import type { RedisClient } from '../../shared/platform/redis';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { recordAudit, type AuditAction, type AuditContext, type AuditWrite } from '../../shared/compliance/audit';
import { loadOrderRecord, orderRef } from '../../shared/compliance/order-record';
import { assertInScope, scopeOf, type AppScope } from '../../shared/compliance/staff/app-scope';
import { componentLogger } from '../../shared/platform/logger';
import type { Config } from '../../shared/platform/config';
import type { Db } from '../../shared/platform/db';
import type { ArchiveJobData } from '../../shared/orders/archive-queue';
import type { EvidenceAccess } from '../../shared/evidence/evidence-access';
import { orderIdParam } from '../../shared/platform/uuid';
import { actorOf, requestContext, type StaffPrincipal } from '../auth/principal';
import type { Auth } from '../auth/middleware';
import { httpErrorOf } from '../http-errors';

const log = componentLogger('console');

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Set once the request's audit row is written, so a later error does not write a second. */
      audited?: boolean;
      /** The order a request acts on, once loaded, for the audit row of a failure. */
      auditOrder?: { id: string; appId: string; orderNo: string };
    }
  }
}

export interface ConsoleDeps {
  db: Db;
  cfg: Config;
  /** The evidence store (src/shared/evidence-store.ts); the console reads and verifies objects. */
  evidence: EvidenceAccess;
  archiveQueue: Queue<ArchiveJobData>;
  /** Counts failed authentications per address (see createAuth); absent: no throttling. */
  redis?: RedisClient;
}

export interface RouteDeps extends ConsoleDeps {
  auth: Auth;
}

/**
 * The two routers a resource module adds its routes to: the JSON API (mounted at /api) and the
 * server-rendered pages (mounted at the console's root).
 */
export interface ConsoleRouters {
  api: Router;
  pages: Router;
}

/** The signed-in staff member; routes behind requireStaff always have one. */
export function staffOf(res: Response): StaffPrincipal {
  const staff = res.locals.staff;
  if (!staff) throw new Error('route is missing requireStaff');
  return staff;
}

/** Actor and origin of a request, for the audit trail. */
export function auditContext(req: Request, res: Response): AuditContext {
  const staff = res.locals.staff;
  return { ...actorOf(staff), ...requestContext(req) };
}

/** Writes the one audit row of a request, with the staff token (id, issuer) when the request used one. */
export async function audit(
  deps: ConsoleDeps,
  req: Request,
  res: Response,
  entry: Omit<AuditWrite, 'actor' | 'actorRole' | 'ip' | 'userAgent'>,
) {
  await recordAudit(deps.db, { ...auditContext(req, res), ...entry });
  res.locals.audited = true;
}

/** The apps the signed-in staff member may see (null = every app). */
export function scopeOfStaff(deps: ConsoleDeps, res: Response): AppScope {
  return scopeOf(deps.cfg, staffOf(res).appKeys);
}

/**
 * Loads the order named by the `:id` route parameter and remembers it for the request's audit
 * row; an order of an app outside the staff member's scope is refused (403, audited as denied).
 */
export async function loadOrderFor(deps: ConsoleDeps, req: Request, res: Response) {
  const record = await loadOrderRecord(deps.db, orderIdParam(req.params.id as string));
  res.locals.auditOrder = orderRef(record);
  assertInScope(scopeOfStaff(deps, res), record);
  return record;
}

/** For shared operations that wrote the audit row themselves (in their own transaction). */
export function markAudited(res: Response): void {
  res.locals.audited = true;
}

/**
 * Wraps a route so it leaves exactly one audit row: the handler writes it on success (via
 * `audit`); if the handler throws first, the failure is recorded here (403 as denied, anything
 * else as failure) with the status and code the client is answered with (http-errors.ts), never
 * the request's values.
 */
export function audited(
  deps: ConsoleDeps,
  action: AuditAction,
  handler: (req: Request, res: Response) => Promise<void>,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await handler(req, res);
    } catch (err) {
      if (!res.locals.audited) {
        const { status, code } = httpErrorOf(err);
        await audit(deps, req, res, {
          action,
          outcome: status === 403 ? 'denied' : 'failure',
          order: res.locals.auditOrder ?? null,
          target: `${req.method} ${req.baseUrl}${req.path}`.slice(0, 300),
          detail: { status, error: code },
        }).catch((e: Error) => log.error('could not write the audit row of a failed request', { error: e.message }));
      }
      next(err);
    }
  };
}
