import type { Request, Response } from 'express';
import { humanBytes, when, type OrderView } from '../../shared/compliance/order-view';
import { html, type Html } from './html';
import { tOf } from './locale';
import { copyable } from './page-parts';

/** The evidence kind in words (`front_photo` → 证件人像面照片); unknown kinds as they are. */
export function kindWords(t: (k: string) => string, kind: string): string {
  const key = `evidence.kinds.${kind}`;
  const words = t(key);
  return words === key ? kind : words;
}

/**
 * The order page's evidence: a table with sizes and hashes, then the photos and the video,
 * streamed through us. A missing object shows as a message in place of the picture (the script
 * swaps a failed image or video for `data-missing`), never as a broken image.
 */
export function evidenceSection(req: Request, res: Response, v: OrderView, api: string): Html {
  const t = tOf(req, res);
  const evidenceUrl = (kind: string) => `${api}/evidence/${encodeURIComponent(kind)}`;
  // An object that failed its integrity check is not shown at all (the server refuses it too): words instead.
  const failedFigure = (e: OrderView['evidence'][number]) =>
    e.integrityFailedAt
      ? html`<figure data-integrity="failed" id="evidence-${e.kind}-failed">
          <p class="bad">${t('integrity.rowMark')}: ${t(`integrity.problem.${e.integrityProblem ?? 'mismatch'}`)}</p>
          <figcaption>${kindWords(t, e.kind)}</figcaption>
        </figure>`
      : undefined;
  const missing = (kind: string) => t('evidence.missing', { kind: kindWords(t, kind) });
  return html`<h2>${t('evidence.title')}</h2>
    ${
      v.filesNotProvided.length === 0
        ? ''
        : html`<p id="files-not-provided" class="hint">
            WeBank 未提供的文件(非缺失) / Not provided by WeBank (not missing):
            <span class="mono">${v.filesNotProvided.join(', ')}</span>
          </p>`
    }
    ${
      v.evidence.length === 0
        ? html`<p>${t('evidence.none')}</p>`
        : html`<div class="scroll">
              <table class="evidence">
                <thead>
                  <tr>
                    <th>${t('evidence.kind')}</th>
                    <th>${t('evidence.contentType')}</th>
                    <th>${t('evidence.size')}</th>
                    <th>${t('evidence.sha256')}</th>
                    <th>${t('evidence.stored')}</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${v.evidence.map(
                    (e) =>
                      html` <tr data-kind="${e.kind}" data-integrity="${e.integrityFailedAt ? 'failed' : 'ok'}">
                        <td>
                          ${kindWords(t, e.kind)}
                          ${e.integrityFailedAt ? html`<span class="status status-FAILED">${t('integrity.rowMark')}</span>` : ''}
                        </td>
                        <td>${e.contentType}</td>
                        <td title="${t('common.bytes', { count: e.bytes })}">${humanBytes(e.bytes)}</td>
                        <td class="hash">${copyable(req, res, e.sha256, 'mono')}</td>
                        <td class="nowrap">${when(e.storedAt)}</td>
                        <td>
                          ${
                            e.integrityFailedAt
                              ? ''
                              : html`<a href="${evidenceUrl(e.kind)}?download=1">${t('common.download')}</a>`
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <div class="media">
              ${v.evidence
                .filter((e) => e.display === 'image')
                .map(
                  (e) =>
                    failedFigure(e) ??
                    html`<figure data-missing="${missing(e.kind)}">
                      <img id="evidence-${e.kind}" src="${evidenceUrl(e.kind)}" alt="${kindWords(t, e.kind)}" />
                      <figcaption>${kindWords(t, e.kind)}</figcaption>
                    </figure>`,
                )}
              ${v.evidence
                .filter((e) => e.display === 'video')
                .map(
                  (e) =>
                    failedFigure(e) ??
                    html`<figure data-missing="${missing(e.kind)}">
                      <video id="evidence-${e.kind}" controls preload="metadata" src="${evidenceUrl(e.kind)}"></video>
                      <figcaption>${kindWords(t, e.kind)}</figcaption>
                    </figure>`,
                )}
            </div>`
    }`;
}
