import type { Request, Response } from 'express';
import { when, type OrderView } from '../../shared/compliance/order-view';
import { kindWords } from './evidence-page';
import { html, type Html } from './html';
import { tOf } from './locale';

/**
 * The order page's integrity alert: shown above everything when any evidence object failed its
 * check (altered, wrong size or missing), so a tampered record never looks fine.
 */
export function integrityAlert(req: Request, res: Response, v: OrderView): Html | string {
  if (v.integrity.failed.length === 0) return '';
  const t = tOf(req, res);
  return html`<section id="integrity-alert" class="alert alert-danger" role="alert">
    <h2>${t('integrity.alertTitle')}</h2>
    <p>${t('integrity.alert')}</p>
    <ul>
      ${v.integrity.failed.map(
        (f) =>
          html`<li data-kind="${f.kind}" data-problem="${f.problem}">
            ${t('integrity.file', { kind: kindWords(t, f.kind), problem: t(`integrity.problem.${f.problem}`), at: when(f.at) })}
          </li>`,
      )}
    </ul>
  </section>`;
}

/**
 * The export form's confirm step for an incomplete package: the console's script asks with this
 * text and, when staff confirm, sends `acceptIncomplete=1` (without it the server refuses, 409).
 */
export function exportConfirm(req: Request, res: Response, v: OrderView): Html | string {
  if (v.completeness.complete) return '';
  const t = tOf(req, res);
  const missing = v.completeness.missing.join(', ') || v.completeness.reason || '-';
  return html`data-confirm="${t('integrity.incompleteConfirm', { missing })}" data-incomplete="1"`;
}

/** Beside the status badges: a red badge, so an archived order with tampered evidence never looks fine at a glance. */
export function integrityBadge(req: Request, res: Response, v: OrderView): Html | string {
  if (v.integrity.failed.length === 0) return '';
  return html`<span class="status status-FAILED" id="integrity-badge">${tOf(req, res)('integrity.rowMark')}</span>`;
}
