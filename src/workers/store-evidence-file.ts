import type { Readable } from 'node:stream';
import type { Db } from '../shared/db';
import type { EvidenceStore } from '../shared/evidence-store';
import { componentLogger } from '../shared/logger';
import { recordEvidence, type TimelineEvent } from './archive-records';

const log = componentLogger('archiver');

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);

/**
 * Streams one decoded file into S3 and records its evidence row once the object is complete
 * (never before), so a crash leaves either a finished row or nothing a rerun would not replace.
 * A type that does not match the kind is recorded on the timeline, not guessed away.
 */
export async function storeEvidenceFile(
  deps: { db: Db; evidence: EvidenceStore },
  order: { id: string; appId: string; orderNo: string; createdAt: Date },
  kind: string,
  data: Readable,
) {
  const isVideo = kind === 'video';
  const saved = await deps.evidence.put({
    key: { appId: order.appId, orderNo: order.orderNo, date: order.createdAt, kind },
    body: data,
    expectedType: isVideo ? 'video/mp4' : undefined,
  });
  const events: TimelineEvent[] = [];
  const mismatch = isVideo ? saved.typeMismatch : !saved.detectedType || !IMAGE_TYPES.has(saved.detectedType);
  if (mismatch) {
    log.warn('evidence type does not match its kind', { orderId: order.id, kind, detected: saved.detectedType ?? 'unknown' });
    events.push({ type: 'type_mismatch', detail: { kind, detected: saved.detectedType ?? 'unknown' } });
  }
  events.push({ type: 'evidence_stored', detail: { kind, bytes: saved.bytes, sha256: saved.sha256 } });
  // The row and its timeline lines in one statement.
  await recordEvidence(deps.db, order.id, { kind, key: saved.key, bytes: saved.bytes, sha256: saved.sha256, contentType: saved.contentType }, events);
  return saved;
}
