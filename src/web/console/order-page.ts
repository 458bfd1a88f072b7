import type { Request, Response } from 'express';
import { when, type OrderView } from '../../shared/compliance/order-view';
import { describeResultCode } from '../../shared/compliance/result-codes';
import { roleAtLeast } from '../../shared/compliance/staff/roles';
import { displayZone, formatWebankTime } from '../../shared/platform/display-time';
import { staffOf } from './deps';
import { evidenceSection } from './evidence-page';
import { exportConfirm, integrityAlert, integrityBadge } from './integrity-page';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';
import { callbackEventsSection, timelineSection } from './order-history-page';
import { codeWithMeaning, copyable, dl, opt, outcomeBadge, statusBadge } from './page-parts';

/** OCR: each side's own code and meaning (a failed back side must not hide behind result code 0). */
function ocrSection(req: Request, res: Response, v: OrderView): Html | string {
  if (!v.ocrSides) return '';
  const t = tOf(req, res);
  const side = (name: string, code: string | undefined) => {
    const ok = code === '0';
    return html`<tr class="ocr-side ${ok ? 'side-ok' : 'side-failed'}" data-side="${name}">
      <td>${t(name === 'front' ? 'order.ocrFront' : 'order.ocrBack')}</td>
      <td>${code === undefined ? '—' : outcomeBadge(req, res, ok ? 'passed' : 'failed')}</td>
      <td>${codeWithMeaning(req, res, code, v.product)}</td>
    </tr>`;
  };
  return html`<h3>${t('order.ocr')}</h3>
    <table id="ocr-sides">
      <thead>
        <tr>
          <th>${t('order.ocrSide')}</th>
          <th>${t('outcome.label')}</th>
          <th>${t('order.ocrCode')}</th>
        </tr>
      </thead>
      <tbody>
        ${side('front', v.ocrSides.front)} ${side('back', v.ocrSides.back)}
      </tbody>
    </table>`;
}

function resultSection(req: Request, res: Response, v: OrderView): Html {
  const t = tOf(req, res);
  const zone = displayZone();
  const occurred = formatWebankTime(v.occurredTime);
  const meaning = describeResultCode(v.resultCode, v.product);
  return html`<h2>${t('order.result')}</h2>
    ${dl([
      [t('outcome.label'), outcomeBadge(req, res, v.outcome)],
      [t('order.resultCode'), codeWithMeaning(req, res, v.resultCode, v.product)],
      [
        t('resultCodes.source'),
        meaning
          ? meaning.source.startsWith('https://')
            ? html`<a href="${meaning.source}" rel="noreferrer noopener" class="small">${meaning.source}</a>`
            : html`<span class="small">${meaning.source}</span>`
          : '',
      ],
      [t('order.resultMsg'), v.resultMsg],
      [t('order.callbackCode'), v.callbackCode ? codeWithMeaning(req, res, v.callbackCode, v.product) : ''],
      [t('order.liveRate'), v.liveRate],
      [t('order.similarity'), v.similarity],
      [t('order.occurredTime', { zone: `${zone.name} UTC${zone.offset}` }), occurred ?? v.occurredTime],
      [t('order.bizSeqNo'), copyable(req, res, v.bizSeqNo)],
      [t('order.h5faceId'), copyable(req, res, v.h5faceId)],
      [t('order.userRef'), copyable(req, res, v.userRef)],
      [t('order.app'), `${v.appKey} (${v.appId})`],
      [t('order.product'), v.product],
      [t('order.source'), t(`order.sources.${v.source}`)],
      [t('order.verifiedAt'), when(v.verifiedAt)],
      [t('order.archivedAt'), when(v.archivedAt)],
      [t('order.recordedAt'), when(v.createdAt)],
      [t('order.archiveAttempts'), v.archiveAttempts],
      [t('order.lastError'), v.lastError],
    ])}
    ${ocrSection(req, res, v)}`;
}

/** The purpose field shared by Reveal and Export (PIPL: a stated purpose, kept in the audit trail). */
function purposeField(req: Request, res: Response): Html {
  const t = tOf(req, res);
  return html`<label class="purpose"
      >${t('purpose.label')}
      <input id="purpose" name="purpose" form="export-form" maxlength="200" placeholder="${t('purpose.placeholder')}"
    /></label>
    <p class="hint">${t('purpose.hint')}</p>`;
}

/** The person, masked; auditors and admins get a reveal button (the reveal is audited, with its purpose). */
function personSection(req: Request, res: Response, v: OrderView, api: string): Html {
  const t = tOf(req, res);
  const staff = staffOf(res);
  const canReveal = roleAtLeast(staff.role, 'auditor') && v.piiStored;
  return html`<h2>${t('order.person')}</h2>
    <dl>
      <dt>${t('order.idType')}</dt>
      <dd>${opt(v.idType)}</dd>
      <dt>${t('order.idNo')}</dt>
      <dd id="pii-idno" class="mono">${opt(v.idNo)}</dd>
      <dt>${t('order.name')}</dt>
      <dd id="pii-name">${opt(v.name)}</dd>
    </dl>
    ${
      canReveal
        ? html`<button
              type="button"
              data-action="reveal"
              data-url="${api}/reveal"
              data-output="reveal-result"
              data-purpose="purpose"
            >
              ${t('order.reveal')}
            </button>
            <output id="reveal-result" role="status"></output>
            <p class="hint">${t('order.revealHint')}</p>`
        : v.piiStored
          ? html`<p class="hint">${t('order.masked')}</p>`
          : html`<p class="hint">${t('order.notStored')}</p>`
    }`;
}

/**
 * Verify for everyone; export for auditors; re-queue for admins (the API checks the roles again).
 * The export form shows the signing key's fingerprint: recipients check packages against it
 * (`export check --trusted-key <fingerprint>`), never against the key inside a package.
 */
function actionsSection(req: Request, res: Response, v: OrderView, api: string, signingKey?: string): Html {
  const t = tOf(req, res);
  const staff = staffOf(res);
  const auditor = roleAtLeast(staff.role, 'auditor');
  return html`<h2>${t('order.actions')}</h2>
    ${auditor ? purposeField(req, res) : ''}
    <p>
      <button type="button" data-action="verify" data-url="${api}/verify" data-output="verify-result">
        ${t('order.verify')}
      </button>
      <output id="verify-result" role="status"></output>
    </p>
    ${
      auditor
        ? html`<form
            method="post"
            action="${api}/export"
            class="inline"
            id="export-form"
            data-purpose="purpose"
            ${exportConfirm(req, res, v)}
          >
            <input type="hidden" name="_csrf" value="${staff.csrfToken ?? ''}" /><button type="submit">
              ${t('order.export')}
            </button>
            ${
              signingKey
                ? html`<p class="hint" id="signing-key">
                    ${t('order.signingKey')} <code>export check --trusted-key</code>:
                    <span class="mono hash">${signingKey}</span>
                  </p>`
                : ''
            }
          </form>`
        : ''
    }
    ${
      roleAtLeast(staff.role, 'admin')
        ? html` <button
              type="button"
              data-action="requeue"
              data-url="${api}/requeue"
              data-output="requeue-result"
              data-confirm="${t('order.requeueConfirm')}"
            >
              ${t('order.requeue')}
            </button>
            <output id="requeue-result" role="status"></output>`
        : ''
    }`;
}

/** The order page: outcome and archive status apart, result, person, actions, evidence, callbacks, timeline. */
export function orderPage(req: Request, res: Response, v: OrderView, signingKey?: string): string {
  const t = tOf(req, res);
  const base = baseOf(req);
  const api = `${base}/api/orders/${v.id}`;
  return page(
    req,
    res,
    t('order.title', { orderNo: v.orderNo }),
    html`
      <h1>
        ${t('order.heading')} <span class="mono" id="order-no">${v.orderNo}</span>
        <button type="button" class="copy" data-copy="${v.orderNo}">${t('common.copy')}</button>
        <span class="badges"
          >${outcomeBadge(req, res, v.outcome)} ${statusBadge(req, res, v.status)} ${integrityBadge(req, res, v)}</span
        >
      </h1>
      ${integrityAlert(req, res, v)}
      <p>
        <a href="${base}/callbacks?orderNo=${encodeURIComponent(v.orderNo)}" id="order-callbacks"
          >${t('order.callbacksLink')}</a
        >
      </p>
      <section class="cols">
        <div>${resultSection(req, res, v)}</div>
        <div>${personSection(req, res, v, api)} ${actionsSection(req, res, v, api, signingKey)}</div>
      </section>
      ${evidenceSection(req, res, v, api)} ${callbackEventsSection(req, res, v)} ${timelineSection(req, res, v)}
    `,
  );
}

/** No order has this number: say so, and offer the callback attempts that used it (forgeries of unknown orders). */
export function orderNotFoundPage(req: Request, res: Response, orderNo: string): string {
  const t = tOf(req, res);
  const base = baseOf(req);
  return page(
    req,
    res,
    t('errors.heading.404'),
    html`<h1>${t('errors.heading.404')}</h1>
      <p class="error" role="alert">${t('order.notFound', { orderNo })}</p>
      <p>
        ${orderNo ? html`<a href="${base}/callbacks?orderNo=${encodeURIComponent(orderNo)}" id="order-callbacks">${t('order.callbacksLink')}</a>` : ''}
        <a href="${base}/">${t('errors.back')}</a>
      </p>`,
  );
}
