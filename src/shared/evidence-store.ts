import { createHash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from './config';
import { DigestStream } from './digest-stream';
import { AppError, notFound, unavailable } from './errors';
import { evidenceKey, extensionFor, type EvidenceKeyParts } from './evidence-key';
import { componentLogger } from './logger';
import { createS3Client, type S3ConnectionOptions } from './s3-client';

const log = componentLogger('evidence-store');
const MiB = 1024 * 1024;

export interface EvidenceStoreOptions extends S3ConnectionOptions {
  bucket: string;
  /** First key segment (S3_PREFIX); '' for none. */
  prefix?: string;
  /** Server-side encryption requested on every object: '' (bucket default), AES256 or aws:kms. */
  sse?: '' | 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
  /** Object Lock retention in days from storage; 0 = none. The bucket must have Object Lock enabled. */
  objectLockDays?: number;
  /** GOVERNANCE (default: privileged roles can still lift it) or COMPLIANCE (nobody can, not even root). */
  objectLockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  /** Multipart part size (default 5 MiB, the S3 minimum) and parts in flight (default 2): memory per upload ≈ 2 × (queueSize + 1) × partSize (lib-storage keeps chunks and their concatenation). */
  partSize?: number;
  queueSize?: number;
}

/** The store's options from the service configuration (S3_* variables). */
export function evidenceStoreOptions(cfg: Config): EvidenceStoreOptions {
  return {
    region: cfg.S3_REGION,
    endpoint: cfg.S3_ENDPOINT,
    forcePathStyle: cfg.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: cfg.S3_ACCESS_KEY_ID, secretAccessKey: cfg.S3_SECRET_ACCESS_KEY },
    bucket: cfg.S3_BUCKET,
    prefix: cfg.S3_PREFIX,
    sse: cfg.S3_SSE,
    sseKmsKeyId: cfg.S3_SSE_KMS_KEY_ID,
    objectLockDays: cfg.S3_OBJECT_LOCK_DAYS,
    objectLockMode: cfg.S3_OBJECT_LOCK_MODE,
  };
}

export interface PutEvidenceInput {
  /** The full key, or its parts: the extension then follows the detected type (see evidence-key.ts). */
  key: string | EvidenceKeyParts;
  body: Readable;
  /** Stored Content-Type; default: the detected type, else application/octet-stream. */
  contentType?: string;
  /** The type the caller expects (image/jpeg for a photo); another detected type is reported, not refused. */
  expectedType?: string;
  /** Aborting destroys the source and aborts the upload. */
  signal?: AbortSignal;
}

export interface StoredEvidence {
  key: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the stored bytes, also in the object's `x-amz-meta-sha256`. */
  sha256: string;
  contentType: string;
  /** MIME type told by the magic bytes; undefined when unknown. */
  detectedType: string | undefined;
  /** True when expectedType was given and the bytes are something else (or unrecognisable). */
  typeMismatch: boolean;
}

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
}

export interface VerifyResult {
  ok: boolean;
  actualSha256: string;
  bytes: number;
  /** What `put` recorded in the object's metadata, for comparison. */
  recordedSha256: string | undefined;
}

/** The single-range forms S3 serves; anything else (multiple ranges, junk) is ignored as RFC 9110 allows. */
const RANGE = /^bytes=(?:\d+-\d*|-\d+)$/;

/**
 * Evidence objects in S3 (or MinIO, Tencent COS): streamed uploads with their SHA-256, ranged
 * reads for the console's video player, and re-verification for audits. See docs/evidence.md.
 */
export class EvidenceStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(private readonly opts: EvidenceStoreOptions) {
    this.client = createS3Client(opts);
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
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
   * the size. The SHA-256 is only known at the end, but S3 metadata is fixed when an upload
   * starts; so the object is uploaded, then copied onto itself server-side with the hash added
   * (MetadataDirective REPLACE, guarded by the upload's ETag), which is also where SSE and
   * Object Lock retention are applied. On any failure nothing is left behind: the multipart
   * upload is aborted, or the uploaded object deleted.
   */
  async put(input: PutEvidenceInput): Promise<StoredEvidence> {
    const digest = new DigestStream();
    const piped = new Promise<void>((resolve, reject) => pipeline(input.body, digest, (e) => (e ? reject(e) : resolve())));
    piped.catch(() => undefined);
    const onAbort = () => digest.destroy(Object.assign(new Error('upload aborted'), { name: 'AbortError' }));
    input.signal?.addEventListener('abort', onAbort, { once: true });
    if (input.signal?.aborted) onAbort();
    let uploadedKey: string | undefined;
    try {
      const detected = await digest.mediaType;
      const key = typeof input.key === 'string' ? input.key : this.keyFor(input.key, extensionFor(detected));
      const contentType = input.contentType ?? detected?.mime ?? 'application/octet-stream';
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: digest, ContentType: contentType, ...this.encryption() },
        partSize: this.opts.partSize ?? 5 * MiB,
        queueSize: this.opts.queueSize ?? 2,
        leavePartsOnError: false,
      });
      const uploaded = await upload.done();
      uploadedKey = key;
      await piped;
      const sha256 = digest.sha256;
      const copied = await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: copySource(this.bucket, key, uploaded.VersionId),
          CopySourceIfMatch: uploaded.ETag,
          MetadataDirective: 'REPLACE',
          Metadata: { sha256 },
          ContentType: contentType,
          ...this.encryption(),
          ...this.retention(),
        }),
      );
      if (uploaded.VersionId && copied.VersionId && copied.VersionId !== uploaded.VersionId) {
        await this.dropVersion(key, uploaded.VersionId);
      }
      return {
        key,
        bytes: digest.bytes,
        sha256,
        contentType,
        detectedType: detected?.mime,
        typeMismatch: input.expectedType !== undefined && detected?.mime !== input.expectedType.toLowerCase(),
      };
    } catch (err) {
      digest.destroy(err as Error);
      // 412: someone replaced the object since our upload; it is theirs now, leave it.
      if (uploadedKey && !isStatus(err, 412)) {
        await this.client
          .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: uploadedKey }))
          .catch((e: unknown) => log.warn('could not remove a half-stored object', { key: uploadedKey, err: e }));
      }
      throw err;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Size, type and recorded SHA-256 of an object; undefined when it does not exist. */
  async head(key: string): Promise<EvidenceHead | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
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

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  /**
   * Opens an object as a stream, or the byte range of an HTTP `Range` header (`bytes=a-b`,
   * `bytes=a-`, `bytes=-n`) so the console can seek in a video without fetching all of it.
   * Throws not_found, or range_not_satisfiable (416, with the size) for a range past the end.
   */
  async get(key: string, range?: string): Promise<EvidenceRead> {
    const useRange = range !== undefined && RANGE.test(range.trim()) ? range.trim() : undefined;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: useRange }));
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
      };
    } catch (err) {
      if (isStatus(err, 404)) throw notFound('evidence object not found');
      if (isStatus(err, 416)) {
        const size = (await this.head(key))?.bytes;
        throw new AppError('range_not_satisfiable', 416, 'requested range not satisfiable', { size });
      }
      throw err;
    }
  }

  /**
   * Re-reads the whole object as a stream and compares its SHA-256 with the one recorded when it
   * was stored (the database's, not the object's own metadata, which whoever could alter the
   * bytes could alter too). Throws not_found when the object is gone.
   */
  async verify(key: string, expectedSha256: string): Promise<VerifyResult> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })).catch((err: unknown) => {
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
    };
  }

  /** Deletes an object; absent objects are fine. On a versioned bucket this adds a delete marker. */
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Readiness: the bucket is reachable with our credentials (HeadBucket). */
  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const e = unavailable(`S3 bucket ${this.bucket} is not reachable: ${(err as Error).name}`);
      e.cause = err;
      throw e;
    }
  }

  /**
   * Creates the bucket when missing (with Object Lock when retention is configured). For the
   * demo and tests; production buckets are provisioned, so nothing calls this on its own.
   */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    const region = this.opts.region;
    await this.client
      .send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          ...(this.opts.objectLockDays ? { ObjectLockEnabledForBucket: true } : {}),
          ...(region && region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}),
        }),
      )
      .catch((err: unknown) => {
        if ((err as Error).name !== 'BucketAlreadyOwnedByYou') throw err;
      });
  }

  /** Releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }

  private encryption() {
    const { sse, sseKmsKeyId } = this.opts;
    if (!sse) return {};
    return { ServerSideEncryption: sse, ...(sse === 'aws:kms' && sseKmsKeyId ? { SSEKMSKeyId: sseKmsKeyId } : {}) };
  }

  private retention() {
    const days = this.opts.objectLockDays ?? 0;
    if (days <= 0) return {};
    return {
      ObjectLockMode: this.opts.objectLockMode ?? 'GOVERNANCE',
      ObjectLockRetainUntilDate: new Date(Date.now() + days * 24 * 3600 * 1000),
    };
  }

  /** On a versioned bucket the pre-copy version (no hash, no lock) would linger; remove it. */
  private async dropVersion(key: string, versionId: string): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }))
      .catch((err: unknown) => log.warn('could not remove the pre-copy version', { key, versionId, err }));
  }
}

function copySource(bucket: string, key: string, versionId: string | undefined): string {
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}

function isStatus(err: unknown, status: number): boolean {
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string };
  if (e?.$metadata?.httpStatusCode === status) return true;
  if (status === 404) return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.name === 'NoSuchBucket';
  if (status === 412) return e?.name === 'PreconditionFailed';
  if (status === 416) return e?.name === 'InvalidRange';
  return false;
}
