import {
  createStaffUser,
  disableStaffUser,
  listStaffUsers,
  usernameSchema,
} from '../../shared/compliance/staff/accounts';
import { listApiTokens } from '../../shared/compliance/staff/api-tokens';
import { validAppKeys } from '../../shared/compliance/staff/app-scope';
import { lockedAccounts, unlockLogin } from '../../shared/compliance/staff/login-lock';
import { badRequest, forbidden } from '../../shared/platform/errors';
import { audit, audited, staffOf, type ConsoleRouters, type RouteDeps } from './deps';
import { sendPage } from './layout';
import { createUserSchema } from './schemas';
import { accountsPage } from './staff-users-page';
import { parseInput } from './validate';

/** Staff accounts (admins): `GET/POST /api/users`, `POST /api/users/:username/disable` and the /accounts page. */
export function staffUserRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;

  api.get(
    '/users',
    auth.requireStaff('admin', { action: 'user.list' }),
    audited(deps, 'user.list', async (req, res) => {
      const users = await listStaffUsers(db);
      await audit(deps, req, res, { action: 'user.list', outcome: 'success', detail: { users: users.length } });
      res.json({ users });
    }),
  );

  api.post(
    '/users',
    auth.requireStaff('admin', { action: 'user.create' }),
    audited(deps, 'user.create', async (req, res) => {
      const body = parseInput(createUserSchema, req.body, 'user');
      const apps = validAppKeys(cfg, body.apps ?? []);
      // An admin scoped to some apps creates accounts within that scope only.
      const mine = staffOf(res).appKeys;
      if (mine.length && (apps.length === 0 || apps.some((k) => !mine.includes(k)))) {
        throw forbidden('apps: an admin scoped to some apps can only create accounts within them');
      }
      const user = await createStaffUser(db, { ...body, apps });
      await audit(deps, req, res, {
        action: 'user.create',
        outcome: 'success',
        target: `user:${user.username}`,
        detail: { role: user.role, apps: user.appKeys.length ? user.appKeys : 'all' },
      });
      res.status(201).json({ user });
    }),
  );

  api.post(
    '/users/:username/disable',
    auth.requireStaff('admin', { action: 'user.disable' }),
    audited(deps, 'user.disable', async (req, res) => {
      const username = parseInput(usernameSchema, req.params.username, 'username');
      if (username === staffOf(res).username) throw badRequest('you cannot disable your own account');
      const user = await disableStaffUser(db, username);
      await audit(deps, req, res, { action: 'user.disable', outcome: 'success', target: `user:${user.username}` });
      res.json({ user });
    }),
  );

  api.post(
    '/users/:username/unlock',
    auth.requireStaff('admin', { action: 'user.unlock' }),
    audited(deps, 'user.unlock', async (req, res) => {
      const username = parseInput(usernameSchema, req.params.username, 'username');
      const cleared = await unlockLogin(db, username);
      await audit(deps, req, res, {
        action: 'user.unlock',
        outcome: 'success',
        target: `user:${username}`,
        detail: { failuresCleared: cleared },
      });
      res.json({ username, failuresCleared: cleared });
    }),
  );

  pages.get(
    '/accounts',
    auth.requireStaff('admin', { page: true, action: 'user.list' }),
    audited(deps, 'user.list', async (req, res) => {
      const [users, tokens] = await Promise.all([listStaffUsers(db), listApiTokens(db)]);
      const locked = await lockedAccounts(
        db,
        deps.cfg,
        users.map((u) => u.username),
      );
      await audit(deps, req, res, {
        action: 'user.list',
        outcome: 'success',
        detail: { users: users.length, tokens: tokens.length },
      });
      sendPage(res, 200, accountsPage(req, res, users, tokens, locked));
    }),
  );
}
