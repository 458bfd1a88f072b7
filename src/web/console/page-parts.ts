import type { Request } from 'express';
import { html, type Html } from './html';
import { baseOf } from './layout';

/** A value or the dash the pages show for "none". */
export const opt = (v: string | null | undefined) => v ?? '—';

/** The query string as the page forms sent it, for refilling the forms. */
export function rawQuery(req: Request): Record<string, unknown> {
  return req.query;
}

/** A definition list; empty values show as a dash. */
export function dl(rows: [string, unknown][]): Html {
  return html`<dl>
    ${rows.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v === null || v === undefined || v === '' ? '—' : v}</dd>`,
    )}
  </dl>`;
}

/** The "next page" link of a keyset-paged list: the same filters plus the cursor. */
export function nextLink(req: Request, path: string, cursor: string | undefined): Html | string {
  if (!cursor) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(rawQuery(req)))
    if (typeof v === 'string' && v !== '' && k !== 'cursor') params.set(k, v);
  params.set('cursor', cursor);
  return html`<p><a class="next" href="${baseOf(req)}${path}?${params.toString()}">Next page →</a></p>`;
}
