import type { Response } from 'express';

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The small page a browser sees when no redirect applies (errors, or no RESULT_REDIRECT_URL). */
export function renderResultPage(res: Response, status: number, title: string, message: string): void {
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escape(title)}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">` +
        `<h1 id="title">${escape(title)}</h1><p id="message">${escape(message)}</p></body></html>`,
    );
}
