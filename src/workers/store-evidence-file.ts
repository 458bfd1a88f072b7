import type { Readable } from 'node:stream';
import type { EvidenceStore } from '../shared/evidence/evidence-store';
import { componentLogger } from '../shared/platform/logger';
import type { StoredFile, TimelineEvent } from '../shared/orders/archive-records';

const log = componentLogger('archiver');

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);

/**
 * Streams one decoded file into S3 and returns what its evidence row will say, once the object
 * is complete (never before). The caller records it with the step that ends the query (see
 * archive-records.ts), so a row never exists for an object that is not whole. A type that does
 * not match the kind is put on the timeline, not guessed away.
 */
export async function storeEvidenceFile(
  deps: { evidence: EvidenceStore },
  order: { id: string; appId: string; orderNo: string; createdAt: Date },
  kind: string,
  data: Readable,
): Promise<StoredFile> {
  const isVideo = kind === 'video';
  const saved = await deps.evidence.put({
    key: { appId: order.appId, orderNo: order.orderNo, date: order.createdAt, kind },
    body: data,
    expectedType: isVideo ? 'video/mp4' : undefined,
  });
  const events: TimelineEvent[] = [];
  const mismatch = isVideo ? saved.typeMismatch : !saved.detectedType || !IMAGE_TYPES.has(saved.detectedType);
  if (mismatch) {
    log.warn('evidence type does not match its kind', {
      orderId: order.id,
      kind,
      detected: saved.detectedType ?? 'unknown',
    });
    events.push({ type: 'type_mismatch', detail: { kind, detected: saved.detectedType ?? 'unknown' } });
  }
  events.push({ type: 'evidence_stored', detail: { kind, bytes: saved.bytes, sha256: saved.sha256 } });
  return { kind, key: saved.key, bytes: saved.bytes, sha256: saved.sha256, contentType: saved.contentType, events };
}
