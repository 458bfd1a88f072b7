import type { EvidenceStore } from './evidence-store';
import type { IntegrityProblem } from './hash-check';
import { isStatus } from './s3-status';

/** An evidence row as the database recorded it. */
export interface RecordedObject {
  kind: string;
  key: string;
  bytes: bigint | number;
  sha256: string;
}

export interface ObjectCheck {
  kind: string;
  ok: boolean;
  problem?: IntegrityProblem;
  /** Only when the bytes were re-hashed. */
  actualSha256?: string;
  actualBytes?: number;
  /** 'head' (size and our recorded hash in the object's metadata) or 'rehash' (every byte read). */
  method: 'head' | 'rehash';
}

/**
 * Checks that each recorded evidence object still exists with its size and SHA-256, cheaply where
 * that can be trusted: a HeadObject gives the size and the SHA-256 our own `put` stamped into the
 * object's metadata. When the size differs the object is bad; when the metadata names the recorded
 * hash the object is taken as intact; when the metadata is absent or different (an object written
 * by anything but our `put`, e.g. an overwrite) every byte is read and hashed. Metadata can be
 * forged by whoever can overwrite the object, so this is the archiver's fast check; the scrubber
 * (workers/integrity-scrub.ts) and every staff read hash the bytes themselves.
 */
export async function checkStoredObjects(
  store: Pick<EvidenceStore, 'head' | 'verify'>,
  rows: readonly RecordedObject[],
): Promise<ObjectCheck[]> {
  const out: ObjectCheck[] = [];
  for (const row of rows) {
    const bytes = Number(row.bytes);
    const head = await store.head(row.key);
    if (!head) {
      out.push({ kind: row.kind, ok: false, problem: 'missing', method: 'head' });
      continue;
    }
    if (head.bytes !== bytes) {
      out.push({ kind: row.kind, ok: false, problem: 'size', actualBytes: head.bytes, method: 'head' });
      continue;
    }
    if (head.sha256 && head.sha256.toLowerCase() === row.sha256.toLowerCase()) {
      out.push({ kind: row.kind, ok: true, method: 'head' });
      continue;
    }
    try {
      const v = await store.verify(row.key, row.sha256);
      const ok = v.ok && v.bytes === bytes;
      out.push({
        kind: row.kind,
        ok,
        ...(ok ? {} : { problem: v.bytes === bytes ? ('mismatch' as const) : ('size' as const) }),
        actualSha256: v.actualSha256,
        actualBytes: v.bytes,
        method: 'rehash',
      });
    } catch (err) {
      // Deleted between the HEAD and the read.
      if (isStatus(err, 404) || (err as { code?: string }).code === 'not_found') {
        out.push({ kind: row.kind, ok: false, problem: 'missing', method: 'rehash' });
        continue;
      }
      throw err;
    }
  }
  return out;
}
