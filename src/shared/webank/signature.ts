import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeBank's signing rule, shared by callbacks and server queries: sort the values
 * lexicographically, concatenate them, SHA-1 (of the UTF-8 bytes, Node's default for a string),
 * upper-case hex.
 */
export function webankSign(values: readonly string[]): string {
  const joined = [...values].sort().join('');
  return createHash('sha1').update(joined).digest('hex').toUpperCase();
}

/** Signature WeBank puts on the H5 redirect (`newSignature` / `newSign`). */
export function callbackSign(p: { appId: string; orderNo: string; ticket: string; code: string }): string {
  return webankSign([p.appId, p.orderNo, p.ticket, p.code]);
}

/** Signature of a server query (`/api/server/sync`, `getLiveResult`, `getOcrResult`). */
export function querySign(p: {
  appId: string;
  orderNo: string;
  version: string;
  ticket: string;
  nonce: string;
}): string {
  return webankSign([p.appId, p.orderNo, p.version, p.ticket, p.nonce]);
}

const HEX40 = /^[0-9A-Fa-f]{40}$/;

/**
 * Compares a received hex signature with the expected one, case-insensitively and in constant time.
 * Both are 40 hex characters once checked, so their buffers are the same length (which
 * `timingSafeEqual` requires) whatever the encoding.
 */
export function signatureMatches(received: string, expected: string): boolean {
  if (!HEX40.test(received) || !HEX40.test(expected)) return false;
  return timingSafeEqual(Buffer.from(received.toUpperCase()), Buffer.from(expected.toUpperCase()));
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 32-character nonce of letters and digits from a cryptographic source, without modulo bias. */
export function newNonce(length = 32): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < 248 && out.length < length) out += ALNUM[byte % 62];
    }
  }
  return out;
}

export interface TicketCandidate {
  value: string;
  /** Which ticket this was, for the record: `current` or `previous`. */
  label: string;
}

/**
 * Verifies a callback signature against every candidate ticket (current first) and
 * reports which matched. All candidates are tried so timing does not reveal which one matched.
 */
export function verifyCallback(
  p: { appId: string; orderNo: string; code: string; signature: string },
  tickets: readonly TicketCandidate[],
): TicketCandidate | undefined {
  let matched: TicketCandidate | undefined;
  for (const t of tickets) {
    const ok = signatureMatches(
      p.signature,
      callbackSign({ appId: p.appId, orderNo: p.orderNo, ticket: t.value, code: p.code }),
    );
    if (ok && !matched) matched = t;
  }
  return matched;
}
