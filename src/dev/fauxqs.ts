import path from 'node:path';
import { startEmulator, type EmulatedS3 } from './s3-emulator';

/** fauxqs: the S3 the tests, the demo and the benchmarks use by default (refuses a single PUT over 11 MiB). */
export type FauxqsS3 = EmulatedS3;

/**
 * Starts fauxqs (a dev dependency) in a child process: it is ESM-only, which Jest's CommonJS
 * runtime cannot import (see fauxqs-server.mjs). Path-style addressing.
 */
export function startFauxqs(opts: { bucket?: string } = {}): Promise<FauxqsS3> {
  const script = path.join(__dirname, 'fauxqs-server.mjs');
  return startEmulator({ name: 'fauxqs', script, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }, opts);
}
