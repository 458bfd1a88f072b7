import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { unavailable } from '../platform/errors';
import { isStatus } from './s3-status';
import type { EvidenceBucket } from './store-options';

/** Readiness: the bucket is reachable with our credentials (HeadBucket); throws unavailable (503). */
export async function pingBucket(s3: EvidenceBucket): Promise<void> {
  try {
    await s3.client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
  } catch (err) {
    const e = unavailable(`S3 bucket ${s3.bucket} is not reachable: ${(err as Error).name}`);
    e.cause = err;
    throw e;
  }
}

/**
 * Creates the bucket when missing (with Object Lock when retention is configured). For the
 * demo and tests; production buckets are provisioned, so nothing calls this on its own.
 */
export async function ensureBucket(s3: EvidenceBucket): Promise<void> {
  try {
    await s3.client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
    return;
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
  }
  const region = s3.opts.region;
  await s3.client
    .send(
      new CreateBucketCommand({
        Bucket: s3.bucket,
        ...(s3.opts.objectLockDays ? { ObjectLockEnabledForBucket: true } : {}),
        ...(region && region !== 'us-east-1'
          ? { CreateBucketConfiguration: { LocationConstraint: region as never } }
          : {}),
      }),
    )
    .catch((err: unknown) => {
      if ((err as Error).name !== 'BucketAlreadyOwnedByYou') throw err;
    });
}
