import { S3Client } from '@aws-sdk/client-s3';

/** How to reach an S3-compatible store: AWS S3, MinIO or Tencent COS. */
export interface S3ConnectionOptions {
  region: string;
  /** Omit for AWS S3; set for MinIO, COS (`https://cos.<region>.myqcloud.com`) or an emulator. */
  endpoint?: string;
  /** Bucket in the path rather than the host name: MinIO and emulators usually need it. */
  forcePathStyle?: boolean;
  /** Static keys; omitted = the SDK's default chain (environment, instance or pod role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Newer AWS SDKs add CRC32 checksums to every upload and ask for them on every download;
   * several S3-compatible stores reject or mishandle those headers. Default: `WHEN_SUPPORTED`
   * on AWS (no endpoint), `WHEN_REQUIRED` on any custom endpoint. Our own SHA-256 covers
   * end-to-end integrity either way.
   */
  checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

/** One client per store: it holds the connection pool, so it is created once and reused. */
export function createS3Client(opts: S3ConnectionOptions): S3Client {
  const checksums = opts.checksums ?? (opts.endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED');
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
