import { pipeline, type Readable } from 'node:stream';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { AppError } from '../platform/errors';
import { componentLogger } from '../platform/logger';
import { isMissingObject, type EvidenceAccess } from '../evidence/evidence-access';
import { hashCheck } from '../evidence/hash-check';
import { markVerified } from '../evidence/integrity-marks';
import type { AuditContext } from './audit';
import { recordIntegrityFailure, recordIntegrityFailureQuietly, type IntegrityVia } from './integrity-failure';

const log = componentLogger('integrity');

/** An evidence row with its integrity columns, and its order. */
export interface CheckedRow {
  kind: string;
  key: string;
  bytes: bigint;
  sha256: string;
  verifiedAt: Date | null;
  verifiedEtag: string | null;
  integrityFailedAt: Date | null;
  order: { id: string; appId: string; orderNo: string };
}

export interface CheckedRead {
  body: Readable;
  /**
   * The recorded SHA-256, only when the bytes served are covered by a whole-object check: the
   * read was conditional (If-Match) on the S3 ETag of an object verified within
   * INTEGRITY_RANGE_TRUST_SECONDS. Otherwise undefined, and no ETag may be sent.
   */
  etag: string | undefined;
}

export const integrityFailed = () =>
  new AppError('integrity_failed', 409, 'this evidence failed its integrity check; it is not served as valid');
export const evidenceMissing = () =>
  new AppError('evidence_missing', 404, 'the evidence object is missing from storage; run verify');

interface Deps {
  db: Db;
  cfg: Pick<Config, 'INTEGRITY_RANGE_TRUST_SECONDS'>;
  evidence: EvidenceAccess;
}

/**
 * Opens an evidence object for a staff read, never serving bytes as valid that were not checked:
 *
 * - An object already marked as failed is not served (409): the order page says why, and a
 *   verify re-checks it (clearing the mark when it matches again).
 * - A whole-object read is hashed as it streams; its last chunk is held back until the SHA-256
 *   and size match, so on a mismatch the reader sees an incomplete transfer, and the failure is
 *   recorded (mark, timeline, audit).
 * - A byte range cannot be hashed against the whole object's SHA-256. It is served only from an
 *   object verified whole within INTEGRITY_RANGE_TRUST_SECONDS, read with If-Match on the S3
 *   ETag it had then (a later overwrite answers 412, and the object is verified again). Without
 *   a fresh check the whole object is re-read and hashed first: a seek in a long video costs one
 *   full read per trust period, not one per seek.
 */
export async function openCheckedEvidence(
  deps: Deps,
  row: CheckedRow,
  range: { start: number; end: number } | undefined,
  ctx: AuditContext,
  via: IntegrityVia = range ? 'range' : 'download',
): Promise<CheckedRead> {
  if (row.integrityFailedAt) throw integrityFailed();
  const trustMs = deps.cfg.INTEGRITY_RANGE_TRUST_SECONDS * 1000;
  const fresh = row.verifiedAt !== null && Date.now() - row.verifiedAt.getTime() < trustMs;
  let etag = fresh ? (row.verifiedEtag ?? undefined) : undefined;

  if (!range) {
    const obj = await getOrRecord(deps, row, undefined, etag, ctx, via).catch(async (err: unknown) => {
      if ((err as AppError).code !== 'evidence_changed') throw err;
      etag = undefined;
      return getOrRecord(deps, row, undefined, undefined, ctx, via);
    });
    const expected = { sha256: row.sha256, bytes: Number(row.bytes) };
    const check = hashCheck(expected, (v) => {
      if (v.ok) {
        markVerified(deps.db, row.order.id, row.kind, obj.etag).catch((e: unknown) =>
          log.warn('could not record a verified read', { orderId: row.order.id, error: (e as Error).message }),
        );
        return;
      }
      void recordIntegrityFailureQuietly(
        deps.db,
        {
          order: row.order,
          via,
          files: [
            {
              kind: row.kind,
              problem: v.actualBytes === expected.bytes ? 'mismatch' : 'size',
              expectedSha256: row.sha256,
              actualSha256: v.actualSha256,
              actualBytes: v.actualBytes,
            },
          ],
        },
        ctx,
      );
    });
    pipeline(obj.body, check, () => undefined);
    return { body: check, etag: etag ? row.sha256 : undefined };
  }

  const rangeHeader = `bytes=${range.start}-${range.end}`;
  for (let attempt = 0; ; attempt++) {
    if (!fresh || attempt > 0) etag = await verifyWhole(deps, row, ctx, via);
    try {
      const obj = await getOrRecord(deps, row, rangeHeader, etag, ctx, via);
      return { body: obj.body, etag: etag ? row.sha256 : undefined };
    } catch (err) {
      // Replaced after it was verified: verify the new object once, then give up.
      if ((err as AppError).code !== 'evidence_changed' || attempt > 0) throw err;
    }
  }
}

/** Reads (a range of) the object; a missing object is recorded as an integrity failure. */
async function getOrRecord(
  deps: Deps,
  row: CheckedRow,
  range: string | undefined,
  ifMatch: string | undefined,
  ctx: AuditContext,
  via: IntegrityVia,
) {
  try {
    return await deps.evidence.get(row.key, range, { ifMatch });
  } catch (err) {
    if (!isMissingObject(err)) throw err;
    await recordMissing(deps, row, ctx, via);
    throw evidenceMissing();
  }
}

function recordMissing(deps: Deps, row: CheckedRow, ctx: AuditContext, via: IntegrityVia) {
  return recordIntegrityFailure(
    deps.db,
    {
      order: row.order,
      via,
      files: [{ kind: row.kind, problem: 'missing', expectedSha256: row.sha256, actualSha256: null }],
    },
    ctx,
  );
}

/** Re-reads and hashes the whole object; returns its S3 ETag when it matches, records and throws when not. */
async function verifyWhole(
  deps: Deps,
  row: CheckedRow,
  ctx: AuditContext,
  via: IntegrityVia,
): Promise<string | undefined> {
  let r;
  try {
    r = await deps.evidence.verify(row.key, row.sha256);
  } catch (err) {
    if (!isMissingObject(err)) throw err;
    await recordMissing(deps, row, ctx, via);
    throw evidenceMissing();
  }
  const sameSize = r.bytes === Number(row.bytes);
  if (r.ok && sameSize) {
    await markVerified(deps.db, row.order.id, row.kind, r.etag);
    return r.etag;
  }
  await recordIntegrityFailure(
    deps.db,
    {
      order: row.order,
      via,
      files: [
        {
          kind: row.kind,
          problem: sameSize ? 'mismatch' : 'size',
          expectedSha256: row.sha256,
          actualSha256: r.actualSha256,
          actualBytes: r.bytes,
        },
      ],
    },
    ctx,
  );
  throw integrityFailed();
}
