import { CopyObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { componentLogger } from '../platform/logger';
import { encryptionParams, retentionParams, type EvidenceBucket } from './store-options';

const log = componentLogger('evidence-store');

/** What the upload left: the object's ETag and, on a versioned bucket, its version. */
export interface Uploaded {
  ETag?: string;
  VersionId?: string;
}

/**
 * Copies a just-uploaded object onto itself with its SHA-256 in the metadata, and SSE and
 * Object Lock retention applied. S3 fixes metadata when an upload starts, while a stream's hash
 * is known only at its end, so the copy is how the hash gets there. It moves no data through
 * us and is guarded by the upload's ETag (`x-amz-copy-source-if-match`): an object someone
 * replaced in between fails with 412 rather than getting our hash. On a versioned bucket the
 * pre-copy version (no hash, no lock) is then removed, so one version remains.
 */
export async function stampHash(
  s3: EvidenceBucket,
  key: string,
  contentType: string,
  sha256: string,
  uploaded: Uploaded,
): Promise<void> {
  const { ETag: etag, VersionId: versionId } = uploaded;
  const copied = await s3.client.send(
    new CopyObjectCommand({
      Bucket: s3.bucket,
      Key: key,
      CopySource: copySource(s3.bucket, key, versionId),
      CopySourceIfMatch: etag,
      MetadataDirective: 'REPLACE',
      Metadata: { sha256 },
      ContentType: contentType,
      ...encryptionParams(s3.opts),
      ...retentionParams(s3.opts),
    }),
  );
  if (versionId && copied.VersionId && copied.VersionId !== versionId) {
    await s3.client
      .send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key, VersionId: versionId }))
      .catch((err: unknown) => log.warn('could not remove the pre-copy version', { key, versionId, err }));
  }
}

function copySource(bucket: string, key: string, versionId: string | undefined): string {
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}
