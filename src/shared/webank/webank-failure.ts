/**
 * What a caller does about a failed WeBank call; every WeBank failure says which, so callers
 * branch on this rather than on the kind of failure:
 *
 * - `retry`: transient (timeouts, resets, HTTP 5xx/429/408, garbled or malformed answers); the
 *   same request may pass later as it is.
 * - `refresh_ticket`: WeBank refused our sign or ticket; refresh the SIGN ticket (`refreshNow`),
 *   then the same request may pass.
 * - `terminal`: WeBank's considered answer (no result, bad parameters, refused credentials, another
 *   HTTP 4xx); asking again changes nothing until someone changes something.
 */
export type WebankRecovery = 'retry' | 'refresh_ticket' | 'terminal';

/** What logs, health checks and order timelines may show of a failure: nothing secret or personal. */
export interface WebankFailureFacts {
  /** The request path, never its query (which holds secret, access_token, sign). */
  path?: string;
  /** WeBank's `code`, its `msg` (its description of the code) and `bizSeqNo`, when it answered one. */
  code?: string;
  msg?: string;
  bizSeqNo?: string;
  /** The HTTP status of a non-2xx answer. */
  status?: number;
  /** Where a request timed out. */
  phase?: string;
  /** The response field a malformed answer was found in. */
  field?: string;
}

/**
 * The base of every failure talking to WeBank. Subclasses keep what is specific (WeBank's code,
 * the HTTP status, the timeout phase, the malformed field); this carries what callers branch on.
 *
 * The message rule, for every subclass: a message names the request path, never its query
 * (the query holds secret, access_token and sign; the constructor drops anything from `?` on),
 * and never a value WeBank sent that may hold personal data (result fields, body excerpts,
 * parser messages quoting the body). Messages end up in logs, health output and order timelines.
 */
export abstract class WebankFailure extends Error {
  /** What the caller should do about it. */
  abstract readonly recovery: WebankRecovery;
  /** The request path (no query); undefined where the failure was found without it (a parser). */
  readonly path: string | undefined;

  protected constructor(path: string | undefined, message: (path: string) => string, options?: ErrorOptions) {
    const bare = path === undefined ? undefined : withoutQuery(path);
    super(message(bare ?? 'response'), options);
    this.path = bare;
  }

  /** True unless terminal: the same request may pass later (after a ticket refresh, when that is the recovery). */
  get retryable(): boolean {
    return this.recovery !== 'terminal';
  }

  /** A bounded metrics label: WeBank's code (clipped) or the kind of failure; nothing from the request. */
  abstract get label(): string;

  /** The failure's facts for logs and health output (see WebankFailureFacts). */
  facts(): WebankFailureFacts {
    return this.path === undefined ? {} : { path: this.path };
  }
}

/** The recovery a failure calls for; undefined for anything that is not a WeBank failure. */
export function recoveryOf(err: unknown): WebankRecovery | undefined {
  return err instanceof WebankFailure ? err.recovery : undefined;
}

/**
 * True when the same request may succeed later without anyone changing anything but the ticket:
 * timeouts, resets, 5xx/429/408, garbled answers, and signature rejections (after `refreshNow`).
 * WeBank business codes (no result, bad parameters, refused credentials) are not retryable.
 */
export function isRetryable(err: unknown): boolean {
  return err instanceof WebankFailure && err.retryable;
}

/** True when WeBank refused our sign or ticket: refresh the ticket, then the same request may pass. */
export function isSignatureRejection(err: unknown): boolean {
  return recoveryOf(err) === 'refresh_ticket';
}

function withoutQuery(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}
