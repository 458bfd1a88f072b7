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
 * Codes meaning WeBank no longer accepts our token or ticket, so the SIGN ticket (or the
 * access_token it hangs on) is probably dead: refresh it (`refreshNow`) and retry. Every refresh
 * decision reads this one table; each code names where it comes from. Any other code keeps the
 * bounded retries of an unknown code. Credentials refused (400104, wrong app_id/secret) is not
 * here: a refresh cannot fix it, an operator must.
 */
export const TICKET_INVALID_CODES: ReadonlyMap<string, string> = new Map([
  // "Token 过期,请重试" in the 人脸核身 return-code tables (https://cloud.tencent.com/document/product/1007/31082,
  // 1007/101997); public clients refresh on it (auroraride/aurservd internal/tencent/wbface.go).
  ['15', '1007/31082: Token 过期,请重试'],
  // A sign that verifies against no live ticket; public clients refresh on it too (aurservd, as above).
  ['400101', 'public clients (aurservd wbface.go); the simulator: 签名校验失败'],
  // access_token unknown or expired, so its tickets died with it ("access_token 失效时,该 access_token
  // 生成的 ticket 都失效", 1007/57613); the simulator's code for it.
  ['400103', '1007/57613 (tickets die with their token); the simulator: access_token 不合法或已过期'],
]);

/** The codes of TICKET_INVALID_CODES, for membership tests. */
export const SIGNATURE_REJECTION_CODES: ReadonlySet<string> = new Set(TICKET_INVALID_CODES.keys());

/** WeBank's "no result for this order" (unknown, abandoned, risk-controlled, older than 3 days). */
export const NO_RESULT_CODE = '66660011';

/**
 * WeBank's descriptions of its codes that may appear in error text as they are (the pages' and
 * the simulator's wording). Any other `msg` is withheld from error text, logs and timelines: an
 * upstream can put anything there, a name or an ID number included (issue 15, item 9).
 */
const KNOWN_MESSAGES: ReadonlySet<string> = new Set([
  '请求成功',
  '成功',
  '比对成功',
  '签名校验失败',
  '不合法的请求参数',
  'access_token 不合法或已过期',
  'app_id 或 secret 不合法',
  '无此查询结果',
  '姓名或身份证号码不正确',
  '视频格式或大小不合法',
  '验证次数超限',
  '照片与身份证照片不是同一人',
  '照片质量过低',
  '核身失败',
  'Token 过期,请重试',
  'token 过期,请重试',
]);

/** WeBank's `msg` as error text may show it: a known description, else only its length. */
export function safeWebankMsg(msg: string): string {
  const trimmed = msg.trim();
  if (trimmed === '' || KNOWN_MESSAGES.has(trimmed)) return trimmed;
  return `[msg withheld, ${[...trimmed].length} characters]`;
}

/**
 * WeBank answered (HTTP 200) with a `code` other than "0". Terminal, except the signature
 * rejections, which a ticket refresh may cure. `msg` is WeBank's description of the code, as
 * `safeWebankMsg` lets it through (never a value WeBank may have echoed).
 */
export class WebankError extends WebankFailure {
  readonly msg: string;

  constructor(
    readonly code: string,
    msg: string,
    path: string,
    readonly bizSeqNo?: string,
  ) {
    const safe = safeWebankMsg(msg);
    super(path, (p) => `WeBank ${p} answered code ${code.slice(0, 16)}: ${safe}`);
    this.msg = safe;
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
