import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from '../platform/config';
import { AppError, notFound, unavailable } from '../platform/errors';
import { evidenceKey, extensionFor, type EvidenceKeyParts } from './keys';
import { componentLogger } from '../platform/logger';
import { detectMediaType, SNIFF_BYTES, type MediaType } from './media-type';
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
  /**
   * Part size (default 5 MiB, the S3 minimum) and parts in flight (default 2). Objects up to one
   * part go as a single PutObject; larger ones through lib-storage, whose memory per upload is
   * ≈ 2 × (queueSize + 1) × partSize (it keeps chunks and their concatenation).
   */
  partSize?: number;
  queueSize?: number;
}

/** The store's options from the service configuration (S3_* variables). */
export function evidenceStoreOptions(cfg: Config): EvidenceStoreOptions {
  return {
    region: cfg.S3_REGION,
    endpoint: cfg.S3_ENDPOINT,
    forcePathStyle: cfg.S3_FORCE_PATH_STYLE,
    checksums: cfg.S3_CHECKSUMS,
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
  private readonly parts = new PartBuffers();

  constructor(private readonly opts: EvidenceStoreOptions) {
    this.client = createS3Client(opts);
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    // lib-storage's parts are Buffers, which the SDK would hash for SigV4 on top of our own
    // SHA-256 of the whole object; where TLS or loopback protects them, they go unsigned.
    if (unsignedPayloadAllowed(opts.endpoint)) {
      (this.client.middlewareStack as unknown as BuildStack).add(payloadHash(UNSIGNED_PAYLOAD, 'UploadPartCommand'), {
        step: 'build',
        name: 'evidenceUnsignedParts',
        override: true,
      });
    }
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
   *   `UNSIGNED-PAYLOAD` (see the constructor).
   * - With Object Lock the retention is applied by that same copy, for either kind.
   *
   * On any failure nothing is left behind: the multipart upload is aborted, or the stored object
   * deleted, and the source destroyed.
   */
  async put(input: PutEvidenceInput): Promise<StoredEvidence> {
    const source = input.body;
    const partSize = this.opts.partSize ?? 5 * MiB;
    const onAbort = () => source.destroy(Object.assign(new Error('upload aborted'), { name: 'AbortError' }));
    input.signal?.addEventListener('abort', onAbort, { once: true });
    if (input.signal?.aborted) onAbort();

    const hash = createHash('sha256');
    let bytes = 0;
    const chunks = (source as AsyncIterable<Buffer | Uint8Array>)[Symbol.asyncIterator]();
    const next = async (): Promise<Buffer | undefined> => {
      const r = await chunks.next();
      if (r.done) return undefined;
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      hash.update(chunk);
      bytes += chunk.length;
      return chunk;
    };
    // The first SMALL_OBJECT bytes are kept as the chunks that came (a photo never needs a part
    // buffer); past that they move into a part buffer, filled in place, up to one part.
    const smallLimit = Math.min(SMALL_OBJECT, partSize);
    const small: Buffer[] = [];
    let part: Buffer | undefined;
    let filled = 0;
    let overflow: Buffer | undefined;
    let uploadedKey: string | undefined;
    try {
      for (let chunk = await next(); chunk; chunk = await next()) {
        if (!part && filled + chunk.length <= smallLimit) {
          small.push(chunk);
          filled += chunk.length;
          continue;
        }
        if (!part) {
          part = this.parts.take(partSize);
          let at = 0;
          for (const c of small) at += c.copy(part, at);
          small.length = 0;
        }
        const n = chunk.copy(part, filled);
        filled += n;
        if (n < chunk.length) {
          overflow = chunk.subarray(n);
          break;
        }
      }
      const head = part ? part.subarray(0, filled) : small.length === 1 ? small[0]! : Buffer.concat(small, filled);
      const detected = detectMediaType(head.subarray(0, Math.min(head.length, SNIFF_BYTES)));
      const key = typeof input.key === 'string' ? input.key : this.keyFor(input.key, extensionFor(detected));
      const contentType = input.contentType ?? detected?.mime ?? 'application/octet-stream';

      if (!overflow) {
        const sha256 = hash.digest('hex');
        const put = new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: head,
          ContentLength: filled,
          ContentType: contentType,
          Metadata: { sha256 },
          ...this.encryption(),
        });
        // The SigV4 payload hash is the SHA-256 of the body: ours, so the SDK need not compute it.
        const stored = await this.client.send(withPayloadHash(put, sha256));
        uploadedKey = key;
        if (part) this.parts.give(part, partSize);
        part = undefined;
        if ((this.opts.objectLockDays ?? 0) > 0)
          await this.stamp(key, contentType, sha256, stored.ETag, stored.VersionId);
        return this.result(input, key, bytes, sha256, contentType, detected);
      }

      const rest = overflow;
      const body = Readable.from(
        (async function* () {
          yield head;
          yield rest;
          for (let chunk = await next(); chunk; chunk = await next()) yield chunk;
        })(),
      );
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, ...this.encryption() },
        partSize,
        queueSize: this.opts.queueSize ?? 2,
        leavePartsOnError: false,
      });
      const uploaded = await upload.done();
      uploadedKey = key;
      // lib-storage copied the head into its own first part: the buffer is free again.
      this.parts.give(part!, partSize);
      part = undefined;
      const sha256 = hash.digest('hex');
      await this.stamp(key, contentType, sha256, uploaded.ETag, uploaded.VersionId);
      return this.result(input, key, bytes, sha256, contentType, detected);
    } catch (err) {
      source.destroy();
      if (part) this.parts.drop();
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

  private result(
    input: PutEvidenceInput,
    key: string,
    bytes: number,
    sha256: string,
    contentType: string,
    detected: MediaType | undefined,
  ): StoredEvidence {
    return {
      key,
      bytes,
      sha256,
      contentType,
      detectedType: detected?.mime,
      typeMismatch: input.expectedType !== undefined && detected?.mime !== input.expectedType.toLowerCase(),
    };
  }

  /**
   * Copies a just-uploaded object onto itself with its SHA-256 in the metadata, and SSE and
   * Object Lock retention applied; on a versioned bucket the pre-copy version is then removed.
   */
  private async stamp(
    key: string,
    contentType: string,
    sha256: string,
    etag: string | undefined,
    versionId: string | undefined,
  ): Promise<void> {
    const copied = await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: key,
        CopySource: copySource(this.bucket, key, versionId),
        CopySourceIfMatch: etag,
        MetadataDirective: 'REPLACE',
        Metadata: { sha256 },
        ContentType: contentType,
        ...this.encryption(),
        ...this.retention(),
      }),
    );
    if (versionId && copied.VersionId && copied.VersionId !== versionId) {
      await this.dropVersion(key, versionId);
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
    const res = await this.client
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      .catch((err: unknown) => {
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
          ...(region && region !== 'us-east-1'
            ? { CreateBucketConfiguration: { LocationConstraint: region as never } }
            : {}),
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

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Objects up to this size are kept as the chunks that came and sent without a part buffer. */
const SMALL_OBJECT = 256 * 1024;

/** The one `middlewareStack.add` overload used here (a build-step middleware). */
interface BuildStack {
  add(
    middleware: (
      next: (args: { request: unknown }) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: { request: unknown }) => Promise<unknown>,
    options: { step: 'build'; name: string; override: boolean },
  ): void;
}

/**
 * SigV4's `x-amz-content-sha256`: the hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. The signer
 * uses a value already present instead of hashing the body itself. `only`: for that command only.
 */
function payloadHash(value: string, only?: string): Parameters<BuildStack['add']>[0] {
  return (next, context) => async (args) => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers && (!only || context.commandName === only)) request.headers['x-amz-content-sha256'] = value;
    return next(args);
  };
}

function withPayloadHash(command: PutObjectCommand, sha256: string): PutObjectCommand {
  (command.middlewareStack as unknown as BuildStack).add(payloadHash(sha256), {
    step: 'build',
    name: 'evidencePayloadHash',
    override: true,
  });
  return command;
}

/**
 * Whether parts may go with an unsigned payload: AWS S3 (HTTPS by default) or an HTTPS endpoint,
 * where TLS protects the bytes in transit, or a loopback endpoint, where nothing is in between.
 * Plain HTTP to another host (e.g. MinIO in a compose network) keeps signed payloads.
 */
export function unsignedPayloadAllowed(endpoint: string | undefined): boolean {
  if (!endpoint) return true;
  try {
    const url = new URL(endpoint);
    if (url.protocol === 'https:') return true;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/**
 * Part buffers kept for reuse: a part is filled in place (one copy of each decoded byte) and,
 * once sent, its buffer serves the next part or upload instead of becoming garbage (a fresh
 * 5 MiB buffer costs ~1.3 ms of page faults as it is first written). As many idle buffers are
 * kept as were ever in use at once (up to `cap`), so memory stays at the peak the worker's
 * concurrency needed, not more.
 */
class PartBuffers {
  private readonly idle: Buffer[] = [];
  private out = 0;
  private peak = 0;

  constructor(private readonly cap = 16) {}

  take(size: number): Buffer {
    this.out += 1;
    this.peak = Math.max(this.peak, this.out);
    while (this.idle.length > 0) {
      const b = this.idle.pop()!;
      if (b.length === size) return b;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** A buffer back, no longer referenced by anyone. */
  give(buffer: Buffer, size: number): void {
    this.out = Math.max(0, this.out - 1);
    if (buffer.length === size && this.idle.length < Math.min(this.peak, this.cap)) this.idle.push(buffer);
  }

  /** A buffer abandoned (a failed upload may still hold it): counted out, never reused. */
  drop(): void {
    this.out = Math.max(0, this.out - 1);
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
