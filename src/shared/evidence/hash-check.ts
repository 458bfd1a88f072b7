import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** What a whole-object read found when the bytes did not match their record. */
export type IntegrityProblem = 'missing' | 'mismatch' | 'size';

/** A read's bytes differ from the recorded SHA-256 or size. Carries no content, only hashes. */
export class IntegrityMismatchError extends Error {
  constructor(
    readonly problem: Exclude<IntegrityProblem, 'missing'>,
    readonly actualSha256: string,
    readonly actualBytes: number,
  ) {
    super(`stored evidence does not match its record (${problem})`);
    this.name = 'IntegrityMismatchError';
  }
}

/**
 * Passes a whole object's bytes through while hashing them, and holds the last chunk back until
 * the end: only when the SHA-256 and size match the record is that chunk released and the stream
 * ended. On a mismatch the stream errors instead, so whatever it is piped into (an HTTP response,
 * a zip entry, a file) never receives the complete object: an HTTP client with Content-Length sees
 * a cut-off transfer rather than a 200 that looks valid. `onVerdict` runs once at the end either way.
 */
export function hashCheck(
  expected: { sha256: string; bytes: number },
  onVerdict?: (v: { ok: boolean; actualSha256: string; actualBytes: number }) => void,
): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, next) {
      hash.update(chunk);
      bytes += chunk.length;
      const out = held;
      held = chunk;
      if (bytes > expected.bytes) {
        // Already longer than recorded: stop now rather than stream the rest.
        const actualSha256 = hash.copy().digest('hex');
        onVerdict?.({ ok: false, actualSha256, actualBytes: bytes });
        next(new IntegrityMismatchError('size', actualSha256, bytes));
        return;
      }
      next(null, out);
    },
    flush(next) {
      const actualSha256 = hash.digest('hex');
      const ok = actualSha256 === expected.sha256.toLowerCase() && bytes === expected.bytes;
      onVerdict?.({ ok, actualSha256, actualBytes: bytes });
      if (!ok) {
        next(new IntegrityMismatchError(bytes === expected.bytes ? 'mismatch' : 'size', actualSha256, bytes));
        return;
      }
      if (held) this.push(held);
      next();
    },
  });
}
