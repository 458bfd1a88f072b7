/**
 * A WeBank response body we cannot trust: malformed or truncated JSON, or a file field that is
 * not strict base64. Archiving it would store corrupt evidence, so the caller treats it like a
 * failed query (retry later) rather than recording what it got.
 */
export class MalformedResponseError extends Error {
  readonly code = 'malformed_response';

  constructor(
    message: string,
    /** The JSON field the problem was found in, when known (e.g. `video`). */
    readonly field?: string,
  ) {
    super(field ? `${message} (field ${field})` : message);
    this.name = 'MalformedResponseError';
  }
}
