import type { Response } from 'express';

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/**
 * The small page a browser sees when no redirect applies (errors, or no RESULT_REDIRECT_URL).
 * With `retryAfterSeconds` the page reloads itself after that long (and says so in Retry-After):
 * for answers that mean "not yet", so the user need not know to press reload.
 */
export function renderResultPage(
  res: Response,
  status: number,
  title: string,
  message: string,
  retryAfterSeconds?: number,
): void {
  const refresh = retryAfterSeconds === undefined ? '' : `<meta http-equiv="refresh" content="${retryAfterSeconds}">`;
  if (retryAfterSeconds !== undefined) res.set('Retry-After', String(retryAfterSeconds));
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh}` +
        `<title>${escape(title)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">` +
        `<h1 id="title">${escape(title)}</h1><p id="message">${escape(message)}</p></body></html>`,
    );
}
