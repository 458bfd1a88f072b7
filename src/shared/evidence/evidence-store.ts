import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../platform/config';
import { ensureBucket, pingBucket } from './bucket-setup';
import { putEvidence, type PutEvidenceInput, type PutTarget, type StoredEvidence } from './evidence-put';
import {
  headEvidence,
  readEvidence,
  verifyEvidence,
  type EvidenceHead,
  type EvidenceRead,
  type VerifyResult,
} from './evidence-read';
import { evidenceKey, type EvidenceKeyParts } from './keys';
import { PartBuffers } from './part-buffers';
import { createS3Client } from './s3-client';
import { signPartsUnsignedWhereSafe } from './sigv4-payload-hash';
import { evidenceStoreOptions, type EvidenceStoreOptions } from './store-options';

export type { PutEvidenceInput, StoredEvidence } from './evidence-put';
export type { EvidenceHead, EvidenceRead, VerifyResult } from './evidence-read';
export { evidenceStoreOptions, type EvidenceStoreOptions } from './store-options';

/**
 * Evidence objects in S3 (or MinIO, Tencent COS): streamed uploads with their SHA-256, ranged
 * reads for the console's video player, and re-verification for audits. The one entry point the
 * rest of the service uses; the work is in evidence-put.ts, evidence-read.ts and bucket-setup.ts.
 * See docs/evidence.md.
 */
export class EvidenceStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private readonly s3: PutTarget;

  constructor(opts: EvidenceStoreOptions) {
    this.client = createS3Client(opts);
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    // Parts are Buffers the SDK would hash once more for SigV4; over TLS or loopback they go unsigned.
    signPartsUnsignedWhereSafe(this.client, opts.endpoint);
    this.s3 = {
      client: this.client,
      bucket: this.bucket,
      opts,
      parts: new PartBuffers(),
      keyFor: (parts, ext) => this.keyFor(parts, ext),
    };
  }

  static fromConfig(cfg: Config): EvidenceStore {
    return new EvidenceStore(evidenceStoreOptions(cfg));
  }

  /** The key for an order's file of the given extension. */
  keyFor(parts: EvidenceKeyParts, ext: string): string {
    return evidenceKey(this.prefix, parts, ext);
  }

  /**
   * Streams `body` to S3 while hashing and sniffing it, so memory stays at a few parts whatever
   * the size (see docs/evidence.md, "What `put` does"):
   *
   * - An object that fits in one part (5 MiB by default: every photo, most videos) is read into
   *   one buffer, hashed on the way, and sent as one PutObject that already carries its SHA-256
   *   as metadata. The request's SigV4 payload hash is that same SHA-256, so the bytes are hashed
   *   once, not once more by the SDK.
   * - A larger one goes to lib-storage's multipart `Upload`, the part already read first. The
   *   SHA-256 is known only at the end while S3 fixes metadata when an upload starts, so the
   *   object is then copied onto itself server-side with the hash added (MetadataDirective
   *   REPLACE, guarded by the upload's ETag). Over HTTPS or loopback the parts are signed with
   *   `UNSIGNED-PAYLOAD` (sigv4-payload-hash.ts).
   * - With Object Lock the retention is applied by that same copy, for either kind.
   *
   * On any failure nothing is left behind: the multipart upload is aborted, or the stored object
   * deleted, and the source destroyed.
   */
  put(input: PutEvidenceInput): Promise<StoredEvidence> {
    return putEvidence(this.s3, input);
  }

  /** Size, type and recorded SHA-256 of an object; undefined when it does not exist. */
  head(key: string): Promise<EvidenceHead | undefined> {
    return headEvidence(this.s3, key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  /**
   * Opens an object as a stream, or the byte range of an HTTP `Range` header (`bytes=a-b`,
   * `bytes=a-`, `bytes=-n`) so the console can seek in a video without fetching all of it.
   * Throws not_found, or range_not_satisfiable (416, with the size) for a range past the end.
   * With `ifMatch` (an S3 ETag) the read is conditional: evidence_changed when the object differs.
   */
  get(key: string, range?: string, opts: { ifMatch?: string } = {}): Promise<EvidenceRead> {
    return readEvidence(this.s3, key, range, async (k) => (await this.head(k))?.bytes, opts.ifMatch);
  }

  /**
   * Re-reads the whole object as a stream and compares its SHA-256 with the one recorded when it
   * was stored (the database's, not the object's own metadata, which whoever could alter the
   * bytes could alter too). Throws not_found when the object is gone.
   */
  verify(key: string, expectedSha256: string): Promise<VerifyResult> {
    return verifyEvidence(this.s3, key, expectedSha256);
  }

  /** Deletes an object; absent objects are fine. On a versioned bucket this adds a delete marker. */
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Readiness: the bucket is reachable with our credentials (HeadBucket). */
  ping(): Promise<void> {
    return pingBucket(this.s3);
  }

  /** Creates the bucket when missing; for the demo and tests (see bucket-setup.ts). */
  ensureBucket(): Promise<void> {
    return ensureBucket(this.s3);
  }

  /** Releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }
}
