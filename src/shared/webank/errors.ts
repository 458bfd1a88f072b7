/**
 * What can go wrong talking to WeBank, as types a caller can branch on: the archiver decides
 * between "retry later", "refresh the ticket and retry" and "give up" from these alone.
 * Messages carry the request path, never its query (the query holds secret, access_token, sign).
 */

/** WeBank answered (HTTP 200) with a `code` other than "0". */
export class WebankError extends Error {
  constructor(
    readonly code: string,
    readonly msg: string,
    readonly path: string,
    readonly bizSeqNo?: string,
  ) {
    super(`WeBank ${path} answered code ${code}: ${msg}`);
    this.name = 'WebankError';
  }
}

/** WeBank (or a proxy in front of it) answered an HTTP status other than 2xx. */
export class WebankHttpError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
  ) {
    super(`WeBank ${path} answered HTTP ${status}`);
    this.name = 'WebankHttpError';
  }
}

/** Where a request ran out of time: before the response headers, or idle while reading the body. */
export type TimeoutPhase = 'headers' | 'body';

/** No answer within the timeout (connect + headers), or the body stalled longer than the idle timeout. */
export class WebankTimeoutError extends Error {
  constructor(
    readonly path: string,
    readonly phase: TimeoutPhase,
    readonly timeoutMs: number,
  ) {
    super(`WeBank ${path} timed out after ${timeoutMs} ms (${phase})`);
    this.name = 'WebankTimeoutError';
  }
}

/** The answer is not what WeBank's protocol promises: not JSON, cut short, or missing fields. */
export class WebankProtocolError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`WeBank ${path} answered something unexpected: ${reason}`);
    this.name = 'WebankProtocolError';
  }
}

/** The connection failed or was reset before a complete answer (refused, reset, DNS). */
export class WebankNetworkError extends Error {
  constructor(
    readonly path: string,
    cause?: unknown,
  ) {
    super(`WeBank ${path} connection failed: ${networkCode(cause)}`, { cause });
    this.name = 'WebankNetworkError';
  }
}

function networkCode(cause: unknown): string {
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return cause instanceof Error ? cause.message : 'unknown';
}

/**
 * Codes meaning WeBank did not accept our signature or credentials on a query, so the SIGN
 * ticket (or the access_token it hangs on) is probably dead: refresh it (`refreshNow`) and retry.
 *
 * 400101 is what WeBank and our simulator answer when a query's sign verifies against no live
 * ticket; 400103 is the simulator's "access_token unknown or expired" (on api_ticket: the token
 * died, so its tickets died with it). Credentials refused (400104, wrong app_id/secret) is not
 * here: a refresh cannot fix it, an operator must.
 */
export const SIGNATURE_REJECTION_CODES: ReadonlySet<string> = new Set(['400101', '400103']);

/** WeBank's "no result for this order" (unknown, abandoned, risk-controlled, older than 3 days). */
export const NO_RESULT_CODE = '66660011';

/** True when WeBank refused our sign or ticket: refresh the ticket, then the same request may pass. */
export function isSignatureRejection(err: unknown): boolean {
  return err instanceof WebankError && SIGNATURE_REJECTION_CODES.has(err.code);
}

/**
 * True when the same request may succeed later without anyone changing anything but the ticket:
 * timeouts, resets, 5xx/429/408, garbled answers, and signature rejections (after `refreshNow`).
 * WeBank business codes (no result, bad parameters, refused credentials) are not retryable.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof WebankTimeoutError || err instanceof WebankNetworkError || err instanceof WebankProtocolError)
    return true;
  if (err instanceof WebankHttpError) return err.status >= 500 || err.status === 429 || err.status === 408;
  if (err instanceof WebankError) return isSignatureRejection(err);
  return false;
}
