import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress } from './url-guard';

export interface SendResult {
  /** The HTTP status, or null when no answer came (timeout, refused, reset, private address). */
  status: number | null;
  latencyMs: number;
  /** Why it failed without a status, in words (never the body: it is the receiver's). */
  error?: string;
}

/**
 * POSTs one signed message. Redirects are not followed (a 3xx is a failure: the partner fixes its
 * URL), the answer's body is read and dropped (at most 64 KiB), and the whole exchange must end
 * within `timeoutMs`.
 */
export function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ status: null, latencyMs: 0, error: 'invalid URL' });
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a DNS lookup, so it is checked here.
    if (!opts.allowPrivate && isIP(host) && isPrivateAddress(host)) {
      resolve({ status: null, latencyMs: 0, error: 'private address refused' });
      return;
    }
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'faceid-archiver-webhooks/1',
        },
        lookup: guardedLookup(opts.allowPrivate),
        agent: false,
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) res.destroy();
        });
        res.on('end', () => done({ status: res.statusCode ?? null, latencyMs: elapsed() }));
        res.on('close', () => done({ status: res.statusCode ?? null, latencyMs: elapsed() }));
        res.on('error', () => done({ status: res.statusCode ?? null, latencyMs: elapsed() }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error('timeout'));
      done({ status: null, latencyMs: elapsed(), error: `no answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      done({ status: null, latencyMs: elapsed(), error: (err.code ?? err.message).slice(0, 200) }),
    );
    req.end(body);
  });
}
