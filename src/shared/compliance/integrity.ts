import type { Db } from '../platform/db';
import { auditData, type AuditContext } from './audit';
import { componentLogger } from '../platform/logger';
import { isMissingObject, type EvidenceAccess } from '../evidence/evidence-access';
import { orderRef } from './order-record';
import { markVerified } from '../evidence/integrity-marks';
import { recordIntegrityFailure } from './integrity-failure';

const log = componentLogger('integrity');

export type FileVerdict = 'ok' | 'mismatch' | 'missing' | 'error';

export interface FileCheck {
  kind: string;
  key: string;
  expectedSha256: string;
  actualSha256: string | null;
  expectedBytes: number;
  actualBytes: number | null;
  verdict: FileVerdict;
  /** S3's ETag of the object hashed (recorded with a match, for conditional ranged reads). */
  etag?: string;
}

export interface IntegrityReport {
  ok: boolean;
  checkedAt: Date;
  files: FileCheck[];
}

interface VerifiableOrder {
  id: string;
  appId: string;
  orderNo: string;
  evidence: { kind: string; key: string; sha256: string; bytes: bigint }[];
}

/**
 * Re-reads every evidence object of an order from S3, recomputes its SHA-256 and compares it
 * (and the size) with what was recorded at archiving. The verdict goes to the order's timeline
 * (`integrity_verified` / `integrity_failed`) and to the audit trail, in one transaction.
 */
export async function verifyOrderEvidence(
  deps: { db: Db; evidence: EvidenceAccess },
  order: VerifiableOrder,
  ctx: AuditContext,
): Promise<IntegrityReport> {
  const files: FileCheck[] = [];
  for (const e of order.evidence) {
    const base = { kind: e.kind, key: e.key, expectedSha256: e.sha256, expectedBytes: Number(e.bytes) };
    try {
      const r = await deps.evidence.verify(e.key, e.sha256);
      const sameSize = r.bytes === Number(e.bytes);
      files.push({
        ...base,
        actualSha256: r.actualSha256,
        actualBytes: r.bytes,
        verdict: r.ok && sameSize ? 'ok' : 'mismatch',
        etag: r.etag,
      });
    } catch (err) {
      const missing = isMissingObject(err);
      if (!missing)
        log.warn('evidence could not be read for verification', {
          orderId: order.id,
          kind: e.kind,
          error: (err as Error).name,
        });
      files.push({ ...base, actualSha256: null, actualBytes: null, verdict: missing ? 'missing' : 'error' });
    }
  }
  const ok = files.length > 0 && files.every((f) => f.verdict === 'ok');
  const checkedAt = new Date();
  // Missing or altered objects are marked on their rows (timeline, audit: recordIntegrityFailure);
  // matching ones get their verification recorded, which clears an earlier mark.
  const failed = files.filter((f) => f.verdict === 'missing' || f.verdict === 'mismatch');
  await recordIntegrityFailure(
    deps.db,
    {
      order,
      via: 'verify',
      files: failed.map((f) => ({
        kind: f.kind,
        problem: f.verdict === 'missing' ? 'missing' : f.actualBytes === f.expectedBytes ? 'mismatch' : 'size',
        expectedSha256: f.expectedSha256,
        actualSha256: f.actualSha256,
        actualBytes: f.actualBytes,
      })),
    },
    ctx,
  );
  for (const f of files.filter((x) => x.verdict === 'ok')) await markVerified(deps.db, order.id, f.kind, f.etag);
  const summary = files.map((f) => ({
    kind: f.kind,
    verdict: f.verdict,
    expectedSha256: f.expectedSha256,
    actualSha256: f.actualSha256,
  }));
  const detail = { ok, files: summary, ...(files.length === 0 ? { note: 'no evidence recorded' } : {}) };
  // A missing or altered file already put its `integrity_failed` line on the timeline (above).
  const timeline =
    failed.length > 0
      ? []
      : [
          deps.db.orderEvent.create({
            data: {
              orderId: order.id,
              type: ok ? 'integrity_verified' : 'integrity_failed',
              detail: { ...detail, by: ctx.actor },
            },
            select: { id: true },
          }),
        ];
  await deps.db.$transaction([
    ...timeline,
    deps.db.auditEntry.create({
      data: auditData({
        ...ctx,
        action: 'verify',
        outcome: ok ? 'success' : 'failure',
        order: orderRef(order),
        detail,
      }),
      select: { id: true },
    }),
  ]);
  return { ok, checkedAt, files: files.map(({ etag: _etag, ...f }) => f) };
}
