import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../platform/config';
import type { S3ConnectionOptions } from './s3-client';

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

/** What the store's parts work on: its client, its bucket and the options it was made with. */
export interface EvidenceBucket {
  readonly client: S3Client;
  readonly bucket: string;
  readonly opts: EvidenceStoreOptions;
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

/** SSE parameters for PutObject, CreateMultipartUpload and CopyObject; none for the bucket default. */
export function encryptionParams(opts: Pick<EvidenceStoreOptions, 'sse' | 'sseKmsKeyId'>) {
  const { sse, sseKmsKeyId } = opts;
  if (!sse) return {};
  return { ServerSideEncryption: sse, ...(sse === 'aws:kms' && sseKmsKeyId ? { SSEKMSKeyId: sseKmsKeyId } : {}) };
}

/** Object Lock parameters for the copy that stamps an object: retention from now, or none. */
export function retentionParams(opts: Pick<EvidenceStoreOptions, 'objectLockDays' | 'objectLockMode'>) {
  const days = opts.objectLockDays ?? 0;
  if (days <= 0) return {};
  return {
    ObjectLockMode: opts.objectLockMode ?? 'GOVERNANCE',
    ObjectLockRetainUntilDate: new Date(Date.now() + days * 24 * 3600 * 1000),
  };
}
