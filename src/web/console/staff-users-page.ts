import type { Request, Response } from 'express';
import type { StaffAccount } from '../../shared/compliance/staff/accounts';
import type { TokenInfo } from '../../shared/compliance/staff/api-tokens';
import { when } from '../../shared/compliance/order-view';
import { apiTokensSection } from './api-tokens-page';
import { html, type Html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';

function usersSection(req: Request, res: Response, users: readonly StaffAccount[], locked: Map<string, Date>): Html {
  const t = tOf(req, res);
  const base = baseOf(req);
  return html`<div class="scroll">
      <table id="accounts">
        <thead>
          <tr>
            <th>${t('accounts.username')}</th>
            <th>${t('accounts.role')}</th>
            <th>${t('accounts.apps')}</th>
            <th>${t('accounts.created')}</th>
            <th>${t('accounts.status')}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${users.map((u) => {
            const until = locked.get(u.username);
            return html`<tr data-user="${u.username}">
              <td>${u.username}</td>
              <td>${t(`role.${u.role}`)}</td>
              <td>${u.appKeys.length ? u.appKeys.join(', ') : t('accounts.allApps')}</td>
              <td class="nowrap">${when(u.createdAt)}</td>
              <td>
                ${u.disabledAt ? t('accounts.disabled', { at: when(u.disabledAt) }) : t('accounts.active')}
                ${until ? html`<br /><span class="bad">${t('accounts.locked', { until: when(until) })}</span>` : ''}
              </td>
              <td>
                ${
                  until
                    ? html`<button
                        type="button"
                        data-action="post"
                        data-url="${base}/api/users/${u.username}/unlock"
                        data-output="accounts-result"
                        data-reload="1"
                      >
                        ${t('accounts.unlock')}
                      </button>`
                    : ''
                }
                ${
                  u.disabledAt
                    ? ''
                    : html`<button
                        type="button"
                        data-action="post"
                        data-url="${base}/api/users/${u.username}/disable"
                        data-confirm="${t('accounts.disableConfirm', { user: u.username })}"
                        data-output="accounts-result"
                        data-reload="1"
                      >
                        ${t('accounts.disable')}
                      </button>`
                }
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    <h2>${t('accounts.add')}</h2>
    <form data-api="${base}/api/users" data-output="accounts-result" data-reload="1" class="search">
      <label>${t('accounts.username')} <input name="username" required /></label>
      <label
        >${t('accounts.role')}
        <select name="role">
          <option value="viewer">${t('role.viewer')}</option>
          <option value="auditor">${t('role.auditor')}</option>
          <option value="admin">${t('role.admin')}</option>
        </select></label
      >
      <label
        >${t('accounts.password')}
        <input name="password" type="password" required minlength="12" autocomplete="new-password"
      /></label>
      <button type="submit">${t('accounts.addSubmit')}</button>
    </form>`;
}

/** The accounts page (admins): staff users (with lockouts and unlock) and API tokens. */
export function accountsPage(
  req: Request,
  res: Response,
  users: readonly StaffAccount[],
  tokens: readonly TokenInfo[],
  locked: Map<string, Date> = new Map(),
): string {
  const t = tOf(req, res);
  return page(
    req,
    res,
    t('accounts.title'),
    html` <h1>${t('accounts.title')}</h1>
      ${usersSection(req, res, users, locked)} ${apiTokensSection(req, res, tokens, users)}
      <p><output id="accounts-result" role="status"></output></p>`,
  );
}
