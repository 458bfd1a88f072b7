import { AppError } from '../platform/errors';
import type { EvidenceStore } from './evidence-store';

/**
 * What the staff side needs of the evidence store: a streamed read, optionally of a byte range,
 * and an integrity check that re-reads the object and hashes it.
 */
export type EvidenceAccess = Pick<EvidenceStore, 'get' | 'verify'>;

/** True when an error means the object is not in S3 (as opposed to S3 being unreachable). */
export function isMissingObject(err: unknown): boolean {
  if (err instanceof AppError) return err.code === 'not_found';
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
