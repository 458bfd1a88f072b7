import type { Db } from '../platform/db';
import { componentLogger } from '../platform/logger';
import type { IntegrityProblem } from '../evidence/hash-check';
import { markIntegrityFailed } from '../evidence/integrity-marks';
import { auditData, type AuditContext } from './audit';
import { orderRef } from './order-record';
import { partnerEventWrite } from '../orders/partner-events';

const log = componentLogger('integrity');

/** Which read found the problem. */
export type IntegrityVia = 'download' | 'range' | 'export' | 'cli' | 'verify' | 'scrub' | 'archiver';

export interface FailedFile {
  kind: string;
  problem: IntegrityProblem;
  expectedSha256: string;
  /** null when the object is missing. */
  actualSha256: string | null;
  actualBytes?: number | null;
}

export interface IntegrityFailure {
  order: { id: string; appId: string; orderNo: string };
  via: IntegrityVia;
  files: FailedFile[];
}

/** The actor of failures found by the service itself. */
export const SYSTEM_SCRUBBER: AuditContext = { actor: 'system:integrity-scrub', actorRole: 'system' };

/**
 * THE one place an integrity failure is recorded, whichever path found it (a console read, an
 * export, the CLI, verify, the archiver's re-check, the scrubber): in one transaction the evidence
 * rows are marked (what the order page, Needs attention and /metrics read), `integrity_failed`
 * goes on the order's timeline and an `integrity` failure row into the audit trail. Hashes and
 * kinds only, never content. Hook further reactions (webhooks, alerts) in here.
 */
export async function recordIntegrityFailure(db: Db, failure: IntegrityFailure, ctx: AuditContext): Promise<void> {
  if (failure.files.length === 0) return;
  const files = failure.files.map((f) => ({
    kind: f.kind,
    problem: f.problem,
    expectedSha256: f.expectedSha256,
    actualSha256: f.actualSha256,
    ...(f.actualBytes != null ? { actualBytes: f.actualBytes } : {}),
  }));
  const detail = { via: failure.via, files };
  await db.$transaction([
    ...failure.files.map((f) => markIntegrityFailed(db, failure.order.id, f.kind, f.problem)),
    db.orderEvent.create({
      data: { orderId: failure.order.id, type: 'integrity_failed', detail: { ...detail, by: ctx.actor } },
      select: { id: true },
    }),
    // The partner learns it too (a webhook; one event per order, however often it is found).
    partnerEventWrite(db, failure.order.id, 'evidence.integrity_failed'),
    db.auditEntry.create({
      data: auditData({
        ...ctx,
        action: 'integrity',
        outcome: 'failure',
        order: orderRef(failure.order),
        target: failure.files.map((f) => f.kind).join(','),
        detail,
      }),
      select: { id: true },
    }),
  ]);
  log.warn('stored evidence failed its integrity check', {
    orderId: failure.order.id,
    via: failure.via,
    kinds: failure.files.map((f) => `${f.kind}:${f.problem}`),
  });
}

/**
 * Same, for callers in the middle of answering a request (the response is already cut off): a
 * failure to record is logged, never thrown over the answer.
 */
export function recordIntegrityFailureQuietly(db: Db, failure: IntegrityFailure, ctx: AuditContext): Promise<void> {
  return recordIntegrityFailure(db, failure, ctx).catch((err: unknown) => {
    log.error('could not record an integrity failure', { orderId: failure.order.id, error: (err as Error).message });
  });
}
