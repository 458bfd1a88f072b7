import { WebankFailure, type WebankFailureFacts, type WebankRecovery } from './webank-failure';

/**
 * What can go wrong talking to WeBank. Every failure is a `WebankFailure` (webank-failure.ts),
 * whose `recovery` says what to do about it; these subclasses keep what is specific to each.
 * Messages carry the request path, never its query (the query holds secret, access_token, sign),
 * and never WeBank-supplied values that may hold personal data.
 */

export {
  WebankFailure,
  isRetryable,
  isSignatureRejection,
  recoveryOf,
  type WebankFailureFacts,
  type WebankRecovery,
} from './webank-failure';

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

/**
 * WeBank answered (HTTP 200) with a `code` other than "0". Terminal, except the signature
 * rejections, which a ticket refresh may cure. `msg` is WeBank's description of the code.
 */
export class WebankError extends WebankFailure {
  constructor(
    readonly code: string,
    readonly msg: string,
    path: string,
    readonly bizSeqNo?: string,
  ) {
    super(path, (p) => `WeBank ${p} answered code ${code}: ${msg}`);
    this.name = 'WebankError';
  }

  get recovery(): WebankRecovery {
    return SIGNATURE_REJECTION_CODES.has(this.code) ? 'refresh_ticket' : 'terminal';
  }

  get label(): string {
    return this.code.slice(0, 12);
  }

  override facts(): WebankFailureFacts {
    return { code: this.code, msg: this.msg, path: this.path, bizSeqNo: this.bizSeqNo };
  }
}

/** WeBank (or a proxy in front of it) answered an HTTP status other than 2xx; 5xx, 429 and 408 pass. */
export class WebankHttpError extends WebankFailure {
  constructor(
    readonly status: number,
    path: string,
  ) {
    super(path, (p) => `WeBank ${p} answered HTTP ${status}`);
    this.name = 'WebankHttpError';
  }

  get recovery(): WebankRecovery {
    return this.status >= 500 || this.status === 429 || this.status === 408 ? 'retry' : 'terminal';
  }

  get label(): string {
    return `http_${this.status}`;
  }

  override facts(): WebankFailureFacts {
    return { status: this.status, path: this.path };
  }
}

/** Where a request ran out of time: before the response headers, or idle while reading the body. */
export type TimeoutPhase = 'headers' | 'body';

/** No answer within the timeout (connect + headers), or the body stalled longer than the idle timeout. */
export class WebankTimeoutError extends WebankFailure {
  readonly recovery = 'retry';

  constructor(
    path: string,
    readonly phase: TimeoutPhase,
    readonly timeoutMs: number,
  ) {
    super(path, (p) => `WeBank ${p} timed out after ${timeoutMs} ms (${phase})`);
    this.name = 'WebankTimeoutError';
  }

  get label(): string {
    return 'timeout';
  }

  override facts(): WebankFailureFacts {
    return { path: this.path, phase: this.phase };
  }
}

/**
 * The answer is not what WeBank's protocol promises: not JSON, cut short, or missing fields.
 * `reason` is ours (what was wrong), never an excerpt of the body.
 */
export class WebankProtocolError extends WebankFailure {
  readonly recovery = 'retry';

  constructor(
    path: string,
    readonly reason: string,
  ) {
    super(path, (p) => `WeBank ${p} answered something unexpected: ${reason}`);
    this.name = 'WebankProtocolError';
  }

  get label(): string {
    return 'protocol';
  }
}

/** The connection failed or was reset before a complete answer (refused, reset, DNS). */
export class WebankNetworkError extends WebankFailure {
  readonly recovery = 'retry';

  constructor(path: string, cause?: unknown) {
    super(path, (p) => `WeBank ${p} connection failed: ${networkCode(cause)}`, { cause });
    this.name = 'WebankNetworkError';
  }

  get label(): string {
    return 'network';
  }
}

function networkCode(cause: unknown): string {
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return cause instanceof Error ? cause.message : 'unknown';
}
