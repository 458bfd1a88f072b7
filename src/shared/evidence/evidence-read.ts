import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { AppError, notFound } from '../platform/errors';
import { isStatus } from './s3-status';
import type { EvidenceBucket } from './store-options';

export interface EvidenceHead {
  key: string;
  bytes: number;
  contentType: string;
  /** From the object's metadata; undefined on objects not written by `put`. */
  sha256: string | undefined;
  etag: string | undefined;
  lastModified: Date | undefined;
  retainUntil: Date | undefined;
}

export interface EvidenceRead {
  body: Readable;
  /** Bytes in `body` (the range's length for a partial read). */
  contentLength: number;
  /** `bytes a-b/total` when a range was served. */
  contentRange: string | undefined;
  contentType: string;
  /** The whole object's size. */
  totalBytes: number;
  partial: boolean;
  sha256: string | undefined;
  /** S3's ETag of the object read (for conditional reads after a verification). */
  etag: string | undefined;
}

export interface VerifyResult {
  ok: boolean;
  actualSha256: string;
  bytes: number;
  /** What `put` recorded in the object's metadata, for comparison. */
  recordedSha256: string | undefined;
  /** S3's ETag of the object that was hashed: a later read with `If-Match` gets these same bytes. */
  etag: string | undefined;
}

/** The object changed since the ETag a conditional read named (S3 answered 412). */
export const objectChanged = () =>
  new AppError('evidence_changed', 409, 'the evidence object changed since it was verified');

/** The single-range forms S3 serves; anything else (multiple ranges, junk) is ignored as RFC 9110 allows. */
const RANGE = /^bytes=(?:\d+-\d*|-\d+)$/;

/** Size, type and recorded SHA-256 of an object; undefined when it does not exist. */
export async function headEvidence(s3: EvidenceBucket, key: string): Promise<EvidenceHead | undefined> {
  try {
    const h = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    return {
      key,
      bytes: h.ContentLength ?? 0,
      contentType: h.ContentType ?? 'application/octet-stream',
      sha256: h.Metadata?.sha256,
      etag: h.ETag,
      lastModified: h.LastModified,
      retainUntil: h.ObjectLockRetainUntilDate,
    };
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

/**
 * Opens an object as a stream, or the byte range of an HTTP `Range` header. A range past the end
 * throws range_not_satisfiable (416) with the size `sizeOf` reports, so the caller can answer
 * `Content-Range: bytes *\/size`; a missing object throws not_found.
 */
export async function readEvidence(
  s3: EvidenceBucket,
  key: string,
  range: string | undefined,
  sizeOf: (key: string) => Promise<number | undefined>,
  ifMatch?: string,
): Promise<EvidenceRead> {
  const useRange = range !== undefined && RANGE.test(range.trim()) ? range.trim() : undefined;
  try {
    const res = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: key, Range: useRange, IfMatch: ifMatch }),
    );
    // Some S3-compatible stores ignore If-Match on GET (s3rver does): compare the ETag ourselves.
    if (ifMatch !== undefined && res.ETag !== undefined && res.ETag !== ifMatch) {
      (res.Body as Readable | undefined)?.destroy();
      throw objectChanged();
    }
    const contentLength = res.ContentLength ?? 0;
    const total = res.ContentRange ? Number(res.ContentRange.split('/')[1]) : contentLength;
    return {
      body: res.Body as Readable,
      contentLength,
      contentRange: res.ContentRange,
      contentType: res.ContentType ?? 'application/octet-stream',
      totalBytes: Number.isFinite(total) ? total : contentLength,
      partial: res.ContentRange !== undefined,
      sha256: res.Metadata?.sha256,
      etag: res.ETag,
    };
  } catch (err) {
    if (isStatus(err, 404)) throw notFound('evidence object not found');
    if (isStatus(err, 412)) throw objectChanged();
    if (isStatus(err, 416)) {
      const size = await sizeOf(key);
      throw new AppError('range_not_satisfiable', 416, 'requested range not satisfiable', { size });
    }
    throw err;
  }
}

/**
 * Re-reads the whole object as a stream and compares its SHA-256 with `expectedSha256`, which
 * the caller takes from the database (not the object's own metadata: whoever could alter the
 * bytes could alter that too). Throws not_found when the object is gone.
 */
export async function verifyEvidence(s3: EvidenceBucket, key: string, expectedSha256: string): Promise<VerifyResult> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key })).catch((err: unknown) => {
    throw isStatus(err, 404) ? notFound('evidence object not found') : err;
  });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.Body as Readable) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  const actualSha256 = hash.digest('hex');
  return {
    ok: actualSha256 === expectedSha256.toLowerCase(),
    actualSha256,
    bytes,
    recordedSha256: res.Metadata?.sha256,
    etag: res.ETag,
  };
}
