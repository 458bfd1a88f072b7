import type { Db } from '../platform/db';
import type { IntegrityProblem } from './hash-check';

/**
 * The integrity columns of evidence rows: the last whole-object check that matched (and the S3
 * ETag of that object), and a failed check's mark. The mark is what the console, Needs attention
 * and /metrics read; the timeline and the audit trail keep the history (see
 * compliance/integrity-failure.ts, which writes a mark together with those).
 */

/** Marks an evidence row as failed; returns the write for a caller's transaction. */
export function markIntegrityFailed(db: Db, orderId: string, kind: string, problem: IntegrityProblem) {
  return db.evidence.updateMany({
    where: { orderId, kind },
    data: { integrityFailedAt: new Date(), integrityProblem: problem, verifiedAt: null, verifiedEtag: null },
  });
}

/**
 * Records a whole-object check that matched: `verifiedAt` (ranged reads trust it for a while,
 * the scrubber schedules by it), the object's S3 ETag, and clears an earlier failure mark (the
 * object is intact again, e.g. restored by a re-queue or from a backup).
 */
export function markVerified(db: Db, orderId: string, kind: string, s3Etag: string | undefined) {
  return db.evidence.updateMany({
    where: { orderId, kind },
    data: { verifiedAt: new Date(), verifiedEtag: s3Etag ?? null, integrityFailedAt: null, integrityProblem: null },
  });
}

/** The evidence rows of an order currently marked as failed. */
export function failedEvidence(db: Db, orderId: string) {
  return db.evidence.findMany({
    where: { orderId, integrityFailedAt: { not: null } },
    select: { kind: true, integrityProblem: true, integrityFailedAt: true },
  });
}

/** An evidence row the scrubber re-reads, with its order. */
export interface ScrubCandidate {
  id: bigint;
  kind: string;
  key: string;
  bytes: bigint;
  sha256: string;
  order: { id: string; appId: string; orderNo: string };
}

/**
 * Evidence rows of these apps whose last whole-object check (or storing, if never checked) is
 * older than `before`, oldest first; rows already marked failed are left to staff.
 */
export function dueForScrub(db: Db, appIds: readonly string[], before: Date, limit: number): Promise<ScrubCandidate[]> {
  return db.evidence.findMany({
    where: {
      integrityFailedAt: null,
      order: { appId: { in: [...appIds] } },
      OR: [{ verifiedAt: { lt: before } }, { verifiedAt: null, storedAt: { lt: before } }],
    },
    orderBy: [{ verifiedAt: { sort: 'asc', nulls: 'first' } }, { storedAt: 'asc' }],
    take: limit,
    select: {
      id: true,
      kind: true,
      key: true,
      bytes: true,
      sha256: true,
      order: { select: { id: true, appId: true, orderNo: true } },
    },
  });
}

/** Evidence rows currently marked as failing their integrity check (for /metrics). */
export function countFailedEvidence(db: Db, appIds: readonly string[]): Promise<number> {
  return db.evidence.count({ where: { integrityFailedAt: { not: null }, order: { appId: { in: [...appIds] } } } });
}
