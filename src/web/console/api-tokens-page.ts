import type { StaffAccount } from '../../shared/compliance/staff/accounts';
import type { TokenInfo } from '../../shared/compliance/staff/api-tokens';
import { when } from '../../shared/compliance/order-view';
import { html, type Html } from './html';

/** The accounts page's API tokens: the list with revoke buttons, and the form that creates one (shown once). */
export function apiTokensSection(base: string, tokens: readonly TokenInfo[], users: readonly StaffAccount[]): Html {
  const nameOf = new Map(users.map((u) => [u.id, u.username]));
  return html`<h2>API tokens</h2>
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Kind</th>
          <th>Acts as / app</th>
          <th>Created</th>
          <th>Last used</th>
          <th>Status</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${tokens.map(
          (t) =>
            html`<tr>
              <td>${t.name}</td>
              <td>${t.kind}</td>
              <td>${t.kind === 'staff' ? (nameOf.get(t.staffUserId ?? '') ?? '?') : (t.appKey ?? 'all apps')}</td>
              <td>${when(t.createdAt)}</td>
              <td>${when(t.lastUsedAt)}</td>
              <td>
                ${
                  t.revokedAt
                    ? 'revoked'
                    : t.expiresAt && t.expiresAt.getTime() <= Date.now()
                      ? 'expired'
                      : t.expiresAt
                        ? `active, expires ${when(t.expiresAt)}`
                        : 'active'
                }
                ${t.issuedBy ? html`<br /><span class="hint">issued by ${t.issuedBy}</span>` : ''}
              </td>
              <td>
                ${t.revokedAt ? '' : html`<button type="button" data-action="post" data-url="${base}/api/tokens/${t.id}/revoke" data-confirm="Revoke ${t.name}?" data-output="accounts-result" data-reload="1">Revoke</button>`}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Create a token</h2>
    <form data-api="${base}/api/tokens" data-output="token-result" class="search">
      <label>Name <input name="name" required /></label>
      <label
        >Kind
        <select name="kind">
          <option>partner</option>
          <option>staff</option>
        </select></label
      >
      <label
        >有效天数 Days valid (staff tokens, which act as you only)
        <input name="expiresInDays" inputmode="numeric" pattern="[0-9]*"
      /></label>
      <label>App key (partner tokens, empty = all) <input name="appKey" /></label>
      <button type="submit">Create</button>
    </form>
    <p><output id="token-result" class="mono"></output></p>`;
}
