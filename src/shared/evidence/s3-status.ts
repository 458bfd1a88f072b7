/**
 * Whether an S3 client error is the given HTTP status. The SDK reports the status in
 * `$metadata`, but some S3-compatible stores (and errors parsed without a status, e.g. a HEAD's
 * empty body) only name the error, so the names S3 uses for those statuses count too.
 */
export function isStatus(err: unknown, status: number): boolean {
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string };
  if (e?.$metadata?.httpStatusCode === status) return true;
  if (status === 404) return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.name === 'NoSuchBucket';
  if (status === 412) return e?.name === 'PreconditionFailed';
  if (status === 416) return e?.name === 'InvalidRange';
  return false;
}
