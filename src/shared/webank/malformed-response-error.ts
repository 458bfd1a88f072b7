import { WebankFailure, type WebankFailureFacts } from './webank-failure';

/**
 * A WeBank response body we cannot trust: malformed or truncated JSON, or a file field that is
 * not strict base64. Archiving it would store corrupt evidence, so the caller treats it like a
 * failed query (retry later) rather than recording what it got. Found by the parser, which does
 * not know the request path; the message says what was wrong and where, never what the body held.
 */
export class MalformedResponseError extends WebankFailure {
  readonly code = 'malformed_response';
  readonly recovery = 'retry';

  constructor(
    message: string,
    /** The JSON field the problem was found in, when known (e.g. `video`). */
    readonly field?: string,
  ) {
    super(undefined, () => (field ? `${message} (field ${field})` : message));
    this.name = 'MalformedResponseError';
  }

  get label(): string {
    return 'malformed_response';
  }

  override facts(): WebankFailureFacts {
    return this.field === undefined ? {} : { field: this.field };
  }
}
