import type { Request, Response } from 'express';
import type { AttentionOrder, NeedsAttention, Section } from '../../shared/compliance/needs-attention';
import { FORGED_BURST_WINDOW_MINUTES } from '../../shared/compliance/needs-attention';
import { when } from '../../shared/compliance/order-view';
import { kindWords } from './evidence-page';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';
import { opt } from './page-parts';

/** One view of what staff must act on, a section per kind of problem (empty sections are left out). */
export function needsAttentionPage(req: Request, res: Response, a: NeedsAttention): string {
  const t = tOf(req, res);
  const base = baseOf(req);
  const orderLink = (o: { id: string; orderNo: string }) =>
    html`<a class="order-link mono" href="${base}/orders/${o.id}">${o.orderNo}</a>`;
  const status = (s: string) => html`<span class="status status-${s}">${t(`status.${s}`)}</span>`;
  const section = (id: Section, body: Html) =>
    a.counts[id] === 0
      ? ''
      : html`<section id="attention-${id}">
          <h2>${t(`attention.section.${id}`)} <span class="attention-count">${String(a.counts[id])}</span></h2>
          ${body}
        </section>`;
  const orderTable = (rows: AttentionOrder[], reason: (o: AttentionOrder) => Html | string) =>
    html`<table class="results">
      <thead>
        <tr>
          <th>${t('attention.orderNo')}</th>
          <th>${t('attention.status')}</th>
          <th>${t('attention.reason')}</th>
          <th>${t('attention.since')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (o) =>
            html`<tr>
              <td>${orderLink(o)}</td>
              <td>${status(o.status)}</td>
              <td>${reason(o)}</td>
              <td>${when(o.since)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;

  return page(
    req,
    res,
    t('attention.title'),
    html`<h1>${t('attention.title')} <span class="attention-count">${String(a.total)}</span></h1>
      <p class="hint">${t('attention.intro')}</p>
      ${a.total === 0 ? html`<p id="attention-none">${t('attention.none')}</p>` : ''}
      ${section(
        'integrity',
        orderTable(a.integrity, (o) => {
          const files = (o as NeedsAttention['integrity'][number]).files;
          return files.map((f) => `${kindWords(t, f.kind)}: ${t(`integrity.problem.${f.problem}`)}`).join('; ');
        }),
      )}
      ${section(
        'evidenceMissing',
        orderTable(a.evidenceMissing, (o) => opt(o.lastError)),
      )}
      ${section(
        'failed',
        orderTable(a.failed, (o) => opt(o.lastError)),
      )}
      ${section(
        'nearLimit',
        orderTable(a.nearLimit, (o) =>
          t('attention.hoursLeft', { hours: (o as NeedsAttention['nearLimit'][number]).hoursLeft }),
        ),
      )}
      ${section(
        'forgedBursts',
        html`<ul>
          ${a.forgedBursts.map(
            (b) =>
              html`<li>
                <a href="${base}/callbacks?verdict=rejected">
                  ${t('attention.burst', { app: b.appId ?? '?', count: b.count, minutes: FORGED_BURST_WINDOW_MINUTES })}
                </a>
                (${when(b.lastAt)})
              </li>`,
          )}
        </ul>`,
      )}
      ${section(
        'credentialConflicts',
        html`<ul>
          ${a.credentialConflicts.map(
            (c) =>
              html`<li class="${c.suspected ? 'bad' : ''}">
                ${t('attention.conflict', { app: c.appId, count: c.lastHour })}
              </li>`,
          )}
        </ul>`,
      )}`,
  );
}
