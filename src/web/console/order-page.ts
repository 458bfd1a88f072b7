import type { Request, Response } from 'express';
import { when, type OrderView } from '../../shared/compliance/order-view';
import { roleAtLeast } from '../../shared/compliance/staff/roles';
import type { StaffPrincipal } from '../auth/principal';
import { staffOf } from './deps';
import { evidenceSection } from './evidence-page';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { callbackEventsSection, timelineSection } from './order-history-page';
import { dl, opt } from './page-parts';

function resultSection(v: OrderView): Html {
  return html`<h2>Verification result</h2>
    ${dl([
      ['App', `${v.appKey} (${v.appId})`],
      ['Product', v.product],
      ['Source', v.source],
      ['Result code', v.resultCode],
      ['Result message', v.resultMsg],
      ['Callback code', v.callbackCode],
      ['Live rate', v.liveRate],
      ['Similarity', v.similarity],
      ['Occurred time', v.occurredTime],
      ['bizSeqNo', v.bizSeqNo],
      ['h5faceId', v.h5faceId],
      ['Verified at', when(v.verifiedAt)],
      ['Archived at', when(v.archivedAt)],
      ['Recorded at', when(v.createdAt)],
      ['Archive attempts', v.archiveAttempts],
      ['Last error', v.lastError],
    ])}`;
}

/** The person, masked; auditors and admins get a reveal button (the reveal is audited). */
function personSection(v: OrderView, staff: StaffPrincipal, api: string): Html {
  const canReveal = roleAtLeast(staff.role, 'auditor') && v.piiStored;
  return html`<h2>Person</h2>
    <dl>
      <dt>ID type</dt>
      <dd>${opt(v.idType)}</dd>
      <dt>ID number</dt>
      <dd id="pii-idno" class="mono">${opt(v.idNo)}</dd>
      <dt>Name</dt>
      <dd id="pii-name">${opt(v.name)}</dd>
    </dl>
    ${
      canReveal
        ? html`<button type="button" data-action="reveal" data-url="${api}/reveal" data-output="reveal-result">
              Reveal ID number and name
            </button>
            <output id="reveal-result"></output>
            <p class="hint">Revealing is recorded in the audit trail.</p>`
        : v.piiStored
          ? html`<p class="hint">Masked. Auditors and admins can reveal.</p>`
          : html`<p class="hint">Not stored (PII_STORAGE=drop or not returned).</p>`
    }`;
}

/**
 * Verify for everyone; export for auditors; re-queue for admins (the API checks the roles again).
 * The export form shows the signing key's fingerprint: recipients check packages against it
 * (`export check --trusted-key <fingerprint>`), never against the key inside a package.
 */
function actionsSection(staff: StaffPrincipal, api: string, signingKey?: string): Html {
  return html`<h2>Actions</h2>
    <p>
      <button type="button" data-action="verify" data-url="${api}/verify" data-output="verify-result">
        Verify integrity
      </button>
      <output id="verify-result"></output>
    </p>
    ${
      roleAtLeast(staff.role, 'auditor')
        ? html`<form method="post" action="${api}/export" class="inline" id="export-form">
            <input type="hidden" name="_csrf" value="${staff.csrfToken ?? ''}" /><button type="submit">
              Export evidence package
            </button>
            ${
              signingKey
                ? html`<p class="hint" id="signing-key">
                    签名公钥指纹（SHA-256，接收方用 <code>export check --trusted-key</code> 核验）/ signing key
                    fingerprint: <span class="mono">${signingKey}</span>
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
              data-confirm="Re-queue this order for archiving?"
            >
              Re-queue for archiving
            </button>
            <output id="requeue-result"></output>`
        : ''
    }`;
}

/** The order page: result, person, actions, evidence, callback events and the archive timeline. */
export function orderPage(req: Request, res: Response, v: OrderView, signingKey?: string): string {
  const staff = staffOf(res);
  const api = `${baseOf(req)}/api/orders/${v.id}`;
  return page(
    req,
    res,
    `Order ${v.orderNo}`,
    html`
      <h1>Order <span class="mono">${v.orderNo}</span> <span class="status status-${v.status}">${v.status}</span></h1>
      <section class="cols">
        <div>${resultSection(v)}</div>
        <div>${personSection(v, staff, api)} ${actionsSection(staff, api, signingKey)}</div>
      </section>
      ${evidenceSection(v, api)} ${callbackEventsSection(v)} ${timelineSection(v)}
    `,
  );
}
