import type { Command } from 'commander';
import {
  createStaffUser,
  disableStaffUser,
  listStaffUsers,
  passwordSchema,
  setStaffUserApps,
} from '../../shared/compliance/staff/accounts';
import { validAppKeys } from '../../shared/compliance/staff/app-scope';
import { isRole, ROLES } from '../../shared/compliance/staff/roles';
import { formatInstant } from '../../shared/platform/display-time';
import { CliError, EXIT } from '../io';
import type { CliServices } from '../services';

async function readPassword(svc: CliServices, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const raw = await svc.io.readStdin();
    return raw.replace(/\r?\n$/, '');
  }
  const first = await svc.io.promptSecret('Password: ');
  const second = await svc.io.promptSecret('Repeat password: ');
  if (first !== second) throw new CliError('the passwords differ', EXIT.usage);
  return first;
}

const appList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);

export function userCommands(program: Command, svc: () => CliServices): void {
  const user = program.command('user').description('staff accounts');

  user
    .command('add <username>')
    .description('create a staff account (the first admin is created this way)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--password-stdin', 'read the password from standard input instead of prompting')
    .option('--apps <keys>', 'comma-separated app keys the account may see (default: every app)')
    .action(async (username: string, opts: { role: string; passwordStdin?: boolean; apps?: string }) => {
      const s = svc();
      if (!isRole(opts.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`, EXIT.usage);
      const password = await readPassword(s, Boolean(opts.passwordStdin));
      const checked = passwordSchema.safeParse(password);
      if (!checked.success) throw new CliError(`password: ${checked.error.issues[0]?.message}`, EXIT.usage);
      await s.audited('user.create', async (done) => {
        const apps = validAppKeys(s.cfg, appList(opts.apps));
        const created = await createStaffUser(s.db, {
          username,
          role: opts.role as (typeof ROLES)[number],
          password,
          apps,
        });
        await s.audit({
          action: 'user.create',
          outcome: 'success',
          target: `user:${created.username}`,
          detail: { role: created.role, apps: apps.length ? apps : 'all' },
        });
        done();
        s.io.out(`created ${created.role} ${created.username} (apps: ${apps.length ? apps.join(', ') : 'all'})`);
      });
    });

  user
    .command('disable <username>')
    .description('disable an account: ends its sessions and revokes its API tokens')
    .action(async (username: string) => {
      const s = svc();
      await s.audited('user.disable', async (done) => {
        const u = await disableStaffUser(s.db, username);
        await s.audit({ action: 'user.disable', outcome: 'success', target: `user:${u.username}` });
        done();
        s.io.out(`disabled ${u.username}`);
      });
    });

  user
    .command('apps <username> <keys>')
    .description('set the apps an account may see: comma-separated app keys, or "all"')
    .action(async (username: string, keys: string) => {
      const s = svc();
      await s.audited('user.scope', async (done) => {
        const apps = keys === 'all' ? [] : validAppKeys(s.cfg, appList(keys));
        if (keys !== 'all' && apps.length === 0) throw new CliError('name at least one app key, or "all"', EXIT.usage);
        const u = await setStaffUserApps(s.db, username, apps);
        await s.audit({
          action: 'user.scope',
          outcome: 'success',
          target: `user:${u.username}`,
          detail: { apps: apps.length ? apps : 'all' },
        });
        done();
        s.io.out(`${u.username} sees ${apps.length ? apps.join(', ') : 'every app'}`);
      });
    });

  user
    .command('list')
    .description('list staff accounts')
    .action(async () => {
      const s = svc();
      await s.audited('user.list', async (done) => {
        const users = await listStaffUsers(s.db);
        await s.audit({ action: 'user.list', outcome: 'success', detail: { users: users.length } });
        done();
        for (const u of users)
          s.io.out(
            `${u.username}\t${u.role}\t${u.appKeys.length ? u.appKeys.join(',') : 'all apps'}\t${u.disabledAt ? `disabled ${formatInstant(u.disabledAt)}` : 'active'}`,
          );
      });
    });
}
