import type { Request, Response } from 'express';
import { describeResultCode, type Outcome } from '../../shared/compliance/result-codes';
import { html, type Html } from './html';
import { baseOf } from './layout';
import { tOf } from './locale';

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

/** The same filters as this request, with `changes` applied (undefined removes a parameter). */
export function withQuery(req: Request, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(rawQuery(req))) if (typeof v === 'string' && v !== '') params.set(k, v);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) params.delete(k);
    else params.set(k, v);
  }
  return params.toString();
}

/** Previous / next links of a keyset-paged list with the total, keeping the filters. */
export function pager(
  req: Request,
  res: Response,
  path: string,
  p: { nextCursor?: string; prevCursor?: string; total?: number },
): Html {
  const t = tOf(req, res);
  const href = (changes: Record<string, string | undefined>) => `${baseOf(req)}${path}?${withQuery(req, changes)}`;
  return html`<nav class="pager" aria-label="${t('common.pages')}">
    ${p.total !== undefined ? html`<span class="total" id="total">${t('search.total', { count: p.total })}</span>` : ''}
    ${p.prevCursor ? html`<a class="prev" href="${href({ before: p.prevCursor, cursor: undefined })}">${t('common.prev')}</a>` : ''}
    ${p.nextCursor ? html`<a class="next" href="${href({ cursor: p.nextCursor, before: undefined })}">${t('common.next')}</a>` : ''}
  </nav>`;
}

/** The archive status as a badge in the page's language (the enum name stays as a class and title). */
export function statusBadge(req: Request, res: Response, status: string): Html {
  return html`<span class="status status-${status}" title="${status}">${tOf(req, res)(`status.${status}`)}</span>`;
}

/** The verification outcome as a coloured badge, apart from the archive status. */
export function outcomeBadge(req: Request, res: Response, outcome: Outcome): Html {
  return html`<span class="outcome outcome-${outcome}">${tOf(req, res)(`outcome.${outcome}`)}</span>`;
}

/** A result code with its meaning from the one table (result-codes.ts), in the page's language. */
export function codeWithMeaning(
  req: Request,
  res: Response,
  code: string | null | undefined,
  product?: string,
): Html | string {
  if (code === null || code === undefined || code === '') return '—';
  const info = describeResultCode(code, product);
  const t = tOf(req, res);
  const words = info ? (res.locals.locale === 'en' ? info.en : info.zh) : t('resultCodes.unknown');
  return html`<span class="code"><span class="mono">${code}</span> <span class="meaning">${words}</span></span>`;
}

/** A value staff copy (IDs, hashes) with a copy button; the script copies `data-copy`. */
export function copyable(req: Request, res: Response, value: string | null | undefined, cls = 'mono'): Html | string {
  if (value === null || value === undefined || value === '') return '—';
  return html`<span class="${cls}">${value}</span>
    <button type="button" class="copy" data-copy="${value}" aria-label="${tOf(req, res)('common.copy')} ${value}">
      ${tOf(req, res)('common.copy')}
    </button>`;
}
