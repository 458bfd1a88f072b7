import path from 'node:path';
import { startEmulator, type EmulatedS3 } from './s3-emulator';

/**
 * s3rver: a second, independent S3 implementation (filesystem-backed, a dev dependency) whose
 * gaps resemble older S3-compatible stores: it knows nothing of flexible checksums (an
 * `aws-chunked` upload is stored with its chunk framing), of SSE or Object Lock, and it checks
 * SigV4 signatures with its own fixed keys. Serves path-style on 127.0.0.1 and virtual-hosted
 * style for `<bucket>.s3.localhost`.
 */
export function startS3rver(opts: { bucket?: string } = {}): Promise<EmulatedS3> {
  const script = path.join(__dirname, 's3rver-server.cjs');
  // s3rver's built-in account: requests signed with other keys are refused.
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return startEmulator({ name: 's3rver', script, credentials, virtualHosted: true }, opts);
}
