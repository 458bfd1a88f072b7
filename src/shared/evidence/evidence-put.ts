import { Readable } from 'node:stream';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { componentLogger } from '../platform/logger';
import { stampHash } from './hash-stamp';
import { extensionFor, type EvidenceKeyParts } from './keys';
import { detectMediaType, SNIFF_BYTES, type MediaType } from './media-type';
import type { PartBuffers } from './part-buffers';
import { isStatus } from './s3-status';
import { withPayloadHash } from './sigv4-payload-hash';
import { HashingReader, readFirstPart } from './source-reader';
import { encryptionParams, type EvidenceBucket } from './store-options';

const log = componentLogger('evidence-store');
const MiB = 1024 * 1024;

export interface PutEvidenceInput {
  /** The full key, or its parts: the extension then follows the detected type (see keys.ts). */
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

/** What `putEvidence` works with: the bucket, the store's reusable part buffers and its key layout. */
export interface PutTarget extends EvidenceBucket {
  readonly parts: PartBuffers;
  keyFor(parts: EvidenceKeyParts, ext: string): string;
}

/**
 * Streams `input.body` to S3 while hashing and sniffing it; see `EvidenceStore.put` and
 * docs/evidence.md, "What `put` does". Nothing is left behind on failure: the source is
 * destroyed, a multipart upload aborted (lib-storage), a stored object deleted.
 */
export async function putEvidence(s3: PutTarget, input: PutEvidenceInput): Promise<StoredEvidence> {
  const source = input.body;
  const partSize = s3.opts.partSize ?? 5 * MiB;
  const onAbort = () => source.destroy(Object.assign(new Error('upload aborted'), { name: 'AbortError' }));
  input.signal?.addEventListener('abort', onAbort, { once: true });
  if (input.signal?.aborted) onAbort();

  const reader = new HashingReader(source);
  // The part buffer while we own it: given back once sent, dropped on failure.
  let part: Buffer | undefined;
  let uploadedKey: string | undefined;
  const release = () => {
    if (part) s3.parts.give(part, partSize);
    part = undefined;
  };
  try {
    const first = await readFirstPart(reader, partSize, s3.parts);
    part = first.part;
    const { head, overflow } = first;
    const detected = detectMediaType(head.subarray(0, Math.min(head.length, SNIFF_BYTES)));
    const key = typeof input.key === 'string' ? input.key : s3.keyFor(input.key, extensionFor(detected));
    const contentType = input.contentType ?? detected?.mime ?? 'application/octet-stream';
    const done = (sha256: string) => result(input, key, reader.bytes, sha256, contentType, detected);

    if (!overflow) {
      const sha256 = reader.digest();
      const put = new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: head,
        ContentLength: head.length,
        ContentType: contentType,
        Metadata: { sha256 },
        ...encryptionParams(s3.opts),
      });
      const stored = await s3.client.send(withPayloadHash(put, sha256));
      uploadedKey = key;
      release();
      if ((s3.opts.objectLockDays ?? 0) > 0) await stampHash(s3, key, contentType, sha256, stored);
      return done(sha256);
    }

    const body = Readable.from(
      (async function* () {
        yield head;
        yield overflow;
        yield* reader.rest();
      })(),
    );
    const upload = new Upload({
      client: s3.client,
      params: { Bucket: s3.bucket, Key: key, Body: body, ContentType: contentType, ...encryptionParams(s3.opts) },
      partSize,
      queueSize: s3.opts.queueSize ?? 2,
      leavePartsOnError: false,
    });
    const uploaded = await upload.done();
    uploadedKey = key;
    // lib-storage copied the head into its own first part: the buffer is free again.
    release();
    const sha256 = reader.digest();
    await stampHash(s3, key, contentType, sha256, uploaded);
    return done(sha256);
  } catch (err) {
    source.destroy();
    if (part) s3.parts.drop();
    // 412: someone replaced the object since our upload; it is theirs now, leave it.
    if (uploadedKey && !isStatus(err, 412)) {
      await s3.client
        .send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: uploadedKey }))
        .catch((e: unknown) => log.warn('could not remove a half-stored object', { key: uploadedKey, err: e }));
    }
    throw err;
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
  }
}

function result(
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
