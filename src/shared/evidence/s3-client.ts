import { S3Client } from '@aws-sdk/client-s3';

/** How to reach an S3-compatible store: AWS S3, MinIO, Ceph RGW or Tencent COS. */
export interface S3ConnectionOptions {
  region: string;
  /** Omit for AWS S3; set for MinIO, COS (`https://cos.<region>.myqcloud.com`) or an emulator. */
  endpoint?: string;
  /**
   * Bucket in the path (`endpoint/bucket/key`) rather than the host name (`bucket.endpoint/key`):
   * for MinIO or Ceph without wildcard DNS, and emulators. COS buckets created since 2024 and AWS
   * S3 want virtual-hosted style (false).
   */
  forcePathStyle?: boolean;
  /** Static keys; omitted = the SDK's default chain (environment, instance or pod role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Flexible checksums (S3_CHECKSUMS). `when_required` (default): the SDK adds a checksum only
   * where an operation demands one and does not ask for them on downloads, so uploads go as plain
   * bodies, never `aws-chunked` with a checksum trailer (which several S3-compatible stores have
   * rejected, and s3rver, our second test store, keeps as part of the object). `when_supported`: the SDK's own default, CRC32 on every upload and
   * checked on every download, for stores known to handle it (AWS S3). Either way our SHA-256 of
   * the whole object is the integrity check (object metadata; the SigV4 payload hash of a
   * single PUT).
   */
  checksums?: 'when_required' | 'when_supported';
}

/** One client per store: it holds the connection pool, so it is created once and reused. */
export function createS3Client(opts: S3ConnectionOptions): S3Client {
  const checksums = opts.checksums === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  return new S3Client({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: opts.forcePathStyle ?? false,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    maxAttempts: 3,
    // Fail fast on an unreachable endpoint; requestTimeout is socket inactivity, not total time,
    // so a long part upload that keeps moving is never cut.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60000 },
  });
}
