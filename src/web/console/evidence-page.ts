import { humanBytes, when, type OrderView } from '../../shared/compliance/order-view';
import { html, type Html } from './html';

/** The order page's evidence: a table with sizes and hashes, then the photos and the video, streamed through us. */
export function evidenceSection(v: OrderView, api: string): Html {
  const evidenceUrl = (kind: string) => `${api}/evidence/${encodeURIComponent(kind)}`;
  return html`<h2>Evidence</h2>
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
        ? html`<p>No evidence stored.</p>`
        : html` <table class="evidence">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>Type</th>
                  <th>Size</th>
                  <th>SHA-256</th>
                  <th>Stored</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${v.evidence.map(
                  (e) =>
                    html` <tr data-kind="${e.kind}">
                      <td>${e.kind}</td>
                      <td>${e.contentType}</td>
                      <td title="${e.bytes} bytes">${humanBytes(e.bytes)}</td>
                      <td class="mono hash">${e.sha256}</td>
                      <td>${when(e.storedAt)}</td>
                      <td><a href="${evidenceUrl(e.kind)}?download=1">Download</a></td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <div class="media">
              ${v.evidence
                .filter((e) => e.display === 'image')
                .map(
                  (e) =>
                    html`<figure>
                      <img id="evidence-${e.kind}" src="${evidenceUrl(e.kind)}" alt="${e.kind}" />
                      <figcaption>${e.kind}</figcaption>
                    </figure>`,
                )}
              ${v.evidence
                .filter((e) => e.display === 'video')
                .map(
                  (e) =>
                    html`<figure>
                      <video id="evidence-${e.kind}" controls preload="metadata" src="${evidenceUrl(e.kind)}"></video>
                      <figcaption>${e.kind}</figcaption>
                    </figure>`,
                )}
            </div>`
    }`;
}
