import type { S3Client } from '@aws-sdk/client-s3';
import type { EmulatedS3 } from '../../src/dev/s3-emulator';
import { startS3rver } from '../../src/dev/s3rver';
import { startFauxqs } from './fauxqs';

/**
 * The two independent S3 implementations the evidence path is tested on, for `describe.each`:
 * fauxqs (in memory, refuses a single PUT over 11 MiB) and s3rver (on disk, checks SigV4, knows
 * no flexible checksums, like the older S3-compatible stores partners run).
 */
export const S3_IMPLEMENTATIONS: ReadonlyArray<readonly [string, () => Promise<EmulatedS3>]> = [
  ['fauxqs', () => startFauxqs()],
  ['s3rver', () => startS3rver()],
];

/**
 * Plays DNS for `*.localhost` (which does not resolve on this machine): the client's requests
 * connect to 127.0.0.1 while their signed Host header still names `<bucket>.s3.localhost`.
 * Added after signing, it changes nothing the store sees.
 */
export function connectToLoopback(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { hostname?: string };
      if (request.hostname?.endsWith('.localhost')) request.hostname = '127.0.0.1';
      return next(args);
    },
    { step: 'deserialize', name: 'connectToLoopbackForTest' },
  );
}

export interface SentRequest {
  command: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
}

/** Records every request a client sends, as signed (host, path, headers); observes only. */
export function observeRequests(client: S3Client): SentRequest[] {
  const sent: SentRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const r = args.request as { hostname?: string; path?: string; headers?: Record<string, string> };
      sent.push({
        command: String(context.commandName),
        hostname: r.hostname ?? '',
        path: r.path ?? '',
        headers: { ...r.headers },
      });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'observeRequestsForTest', priority: 'low' },
  );
  return sent;
}
