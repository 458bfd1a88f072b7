import type { Request, Response } from 'express';
import type { StaffAccount } from '../../shared/compliance/staff/accounts';
import type { TokenInfo } from '../../shared/compliance/staff/api-tokens';
import { when } from '../../shared/compliance/order-view';
import { apiTokensSection } from './api-tokens-page';
import { html, type Html } from './html';
import { baseOf, page } from './layout';

function usersSection(base: string, users: readonly StaffAccount[]): Html {
  return html`<table>
      <thead>
        <tr>
          <th>Username</th>
          <th>Role</th>
          <th>Apps</th>
          <th>Created</th>
          <th>Status</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${users.map(
          (u) =>
            html`<tr>
              <td>${u.username}</td>
              <td>${u.role}</td>
              <td>${u.appKeys.length ? u.appKeys.join(', ') : 'all'}</td>
              <td>${when(u.createdAt)}</td>
              <td>${u.disabledAt ? `disabled ${when(u.disabledAt)}` : 'active'}</td>
              <td>
                ${u.disabledAt ? '' : html`<button type="button" data-action="post" data-url="${base}/api/users/${u.username}/disable" data-confirm="Disable ${u.username}?" data-output="accounts-result" data-reload="1">Disable</button>`}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Add a user</h2>
    <form data-api="${base}/api/users" data-output="accounts-result" data-reload="1" class="search">
      <label>Username <input name="username" required /></label>
      <label
        >Role
        <select name="role">
          <option>viewer</option>
          <option>auditor</option>
          <option>admin</option>
        </select></label
      >
      <label
        >Password <input name="password" type="password" required minlength="12" autocomplete="new-password"
      /></label>
      <button type="submit">Add</button>
    </form>`;
}

/** The accounts page (admins): staff users and API tokens, each with its add and disable/revoke controls. */
export function accountsPage(
  req: Request,
  res: Response,
  users: readonly StaffAccount[],
  tokens: readonly TokenInfo[],
): string {
  const base = baseOf(req);
  return page(
    req,
    res,
    'Accounts',
    html` <h1>Accounts</h1>
      ${usersSection(base, users)} ${apiTokensSection(base, tokens, users)}
      <p><output id="accounts-result"></output></p>`,
  );
}
