import type { Request, Response } from 'express';
import type { StaffAccount } from '../../shared/compliance/staff/accounts';
import type { TokenInfo } from '../../shared/compliance/staff/api-tokens';
import { when } from '../../shared/compliance/order-view';
import { html, type Html } from './html';
import { baseOf } from './layout';
import { tOf } from './locale';

/** The accounts page's API tokens: the list with revoke buttons, and the form that creates one (shown once). */
export function apiTokensSection(
  req: Request,
  res: Response,
  tokens: readonly TokenInfo[],
  users: readonly StaffAccount[],
): Html {
  const t = tOf(req, res);
  const base = baseOf(req);
  const nameOf = new Map(users.map((u) => [u.id, u.username]));
  return html`<h2>${t('tokens.title')}</h2>
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>${t('tokens.name')}</th>
            <th>${t('tokens.kind')}</th>
            <th>${t('tokens.actsAs')}</th>
            <th>${t('tokens.created')}</th>
            <th>${t('tokens.lastUsed')}</th>
            <th>${t('tokens.status')}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${tokens.map(
            (k) =>
              html`<tr>
                <td>${k.name}</td>
                <td>${t(`tokens.kinds.${k.kind}`)}</td>
                <td>
                  ${k.kind === 'staff' ? (nameOf.get(k.staffUserId ?? '') ?? '?') : (k.appKey ?? t('tokens.allApps'))}
                </td>
                <td class="nowrap">${when(k.createdAt)}</td>
                <td class="nowrap">${when(k.lastUsedAt)}</td>
                <td>
                  ${
                    k.revokedAt
                      ? t('tokens.revoked')
                      : k.expiresAt && k.expiresAt.getTime() <= Date.now()
                        ? t('tokens.expired')
                        : k.expiresAt
                          ? t('tokens.activeUntil', { at: when(k.expiresAt) })
                          : t('tokens.active')
                  }
                  ${k.issuedBy ? html`<br /><span class="hint">${t('tokens.issuedBy', { user: k.issuedBy })}</span>` : ''}
                </td>
                <td>
                  ${
                    k.revokedAt
                      ? ''
                      : html`<button
                          type="button"
                          data-action="post"
                          data-url="${base}/api/tokens/${k.id}/revoke"
                          data-confirm="${t('tokens.revokeConfirm', { name: k.name })}"
                          data-output="accounts-result"
                          data-reload="1"
                        >
                          ${t('tokens.revoke')}
                        </button>`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <h2>${t('tokens.create')}</h2>
    <form data-api="${base}/api/tokens" data-output="token-result" class="search">
      <label>${t('tokens.name')} <input name="name" required /></label>
      <label
        >${t('tokens.kind')}
        <select name="kind">
          <option value="partner">${t('tokens.kinds.partner')}</option>
          <option value="staff">${t('tokens.kinds.staff')}</option>
        </select></label
      >
      <label>${t('tokens.daysValid')} <input name="expiresInDays" inputmode="numeric" pattern="[0-9]*" /></label>
      <label>${t('tokens.appKey')} <input name="appKey" /></label>
      <button type="submit">${t('tokens.createSubmit')}</button>
    </form>
    <p><output id="token-result" class="mono"></output></p>`;
}
