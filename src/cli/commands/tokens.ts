import type { Command } from 'commander';
import { findStaffUser } from '../../shared/compliance/staff/accounts';
import { formatInstant } from '../../shared/platform/display-time';
import { createApiToken, listApiTokens, revokeApiToken } from '../../shared/compliance/staff/api-tokens';
import { CliError, EXIT } from '../io';
import type { CliServices } from '../services';

export function tokenCommands(program: Command, svc: () => CliServices): void {
  const token = program
    .command('token')
    .description('API tokens for automation (staff) and partner backends (partner)');

  token
    .command('create')
    .description('create a token; it is printed once on standard output and never stored in clear')
    .requiredOption('--name <name>', 'what the token is for')
    .option('--partner', 'a partner token (POST /api/results/verify, /api/orders)')
    .option('--app <key>', 'partner tokens: restrict to this configured app key (default: every app)')
    .option(
      '--user <username>',
      'staff tokens: the staff user the token acts as (with that role); you are recorded as its issuer on every row it causes',
    )
    .option(
      '--expires-days <days>',
      'staff tokens: lifetime in days (default STAFF_TOKEN_DAYS, at most STAFF_TOKEN_MAX_DAYS)',
    )
    .option('--scope <scope...>', 'partner tokens: extra grants (pii: the read API returns personal fields)')
    .action(
      async (opts: {
        name: string;
        partner?: boolean;
        app?: string;
        user?: string;
        expiresDays?: string;
        scope?: string[];
      }) => {
        const s = svc();
        const kind = opts.partner ? 'partner' : 'staff';
        if (kind === 'staff' && !opts.user)
          throw new CliError('a staff token needs --user <username> (or pass --partner)', EXIT.usage);
        if (kind === 'partner' && opts.user) throw new CliError('--user applies to staff tokens only', EXIT.usage);
        if (kind === 'staff' && opts.app) throw new CliError('--app applies to partner tokens only', EXIT.usage);
        if (kind === 'partner' && opts.expiresDays)
          throw new CliError('--expires-days applies to staff tokens only', EXIT.usage);
        const expiresInDays = opts.expiresDays === undefined ? undefined : Number(opts.expiresDays);
        await s.audited('token.create', async (done) => {
          let staffUserId: string | undefined;
          if (opts.user) {
            const u = await findStaffUser(s.db, opts.user);
            if (!u || u.disabledAt) throw new CliError(`no active user ${opts.user}`, EXIT.usage);
            staffUserId = u.id;
          }
          const { token: value, info } = await createApiToken(s.db, s.cfg, {
            kind,
            name: opts.name,
            staffUserId,
            appKey: opts.app,
            scopes: opts.scope,
            issuedBy: s.actor.actor,
            expiresInDays,
          });
          await s.audit({
            action: 'token.create',
            outcome: 'success',
            target: `token:${info.id}`,
            detail: {
              kind,
              name: info.name,
              appKey: info.appKey,
              scopes: info.scopes,
              ...(opts.user ? { actsAs: `user:${opts.user}`, expiresAt: info.expiresAt } : {}),
            },
          });
          done();
          s.io.err(
            `created ${kind} token ${info.id} (${info.name})${info.appKey ? ` for app ${info.appKey}` : ''}${info.expiresAt ? `, expires ${formatInstant(info.expiresAt)}` : ''}; store it now, it is not shown again:`,
          );
          s.io.out(value);
        });
      },
    );

  token
    .command('revoke <id>')
    .description('revoke a token by its id')
    .action(async (id: string) => {
      const s = svc();
      await s.audited('token.revoke', async (done) => {
        const info = await revokeApiToken(s.db, id);
        await s.audit({
          action: 'token.revoke',
          outcome: 'success',
          target: `token:${info.id}`,
          detail: { kind: info.kind, name: info.name },
        });
        done();
        s.io.out(`revoked ${info.kind} token ${info.id} (${info.name})`);
      });
    });

  token
    .command('list')
    .description('list tokens (never their values)')
    .action(async () => {
      const s = svc();
      await s.audited('token.list', async (done) => {
        const tokens = await listApiTokens(s.db);
        await s.audit({ action: 'token.list', outcome: 'success', detail: { tokens: tokens.length } });
        done();
        for (const t of tokens) {
          s.io.out(
            [
              t.id,
              t.kind,
              t.name,
              t.appKey ?? (t.kind === 'partner' ? 'all-apps' : '-'),
              t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt <= new Date() ? 'expired' : 'active',
              t.expiresAt ? `expires ${formatInstant(t.expiresAt)}` : 'no expiry',
              `issued by ${t.issuedBy ?? 'unrecorded'}`,
              formatInstant(t.lastUsedAt) || 'never used',
            ].join('\t'),
          );
        }
      });
    });
}
