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
