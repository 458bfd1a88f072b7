/** Every error the service reports to a caller: a stable code plus the HTTP status that goes with it. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError('bad_request', 400, message, details);
export const unauthorized = (message = 'authentication required') => new AppError('unauthorized', 401, message);
export const forbidden = (message = 'not allowed for your role') => new AppError('forbidden', 403, message);
export const notFound = (message = 'not found') => new AppError('not_found', 404, message);
export const conflict = (message: string) => new AppError('conflict', 409, message);
export const tooManyRequests = (message = 'too many requests') => new AppError('rate_limited', 429, message);
export const unavailable = (message: string) => new AppError('unavailable', 503, message);
