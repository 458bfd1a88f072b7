import { findStaffUser } from '../../shared/compliance/staff/accounts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../shared/compliance/staff/api-tokens';
import { badRequest } from '../../shared/platform/errors';
import { audit, audited, type ConsoleRouters, type RouteDeps } from './deps';
import { createTokenSchema } from './schemas';
import { parseInput } from './validate';

/** API tokens (admins): `GET/POST /api/tokens`, `POST /api/tokens/:id/revoke`; listed on the /accounts page. */
export function apiTokenRoutes(deps: RouteDeps, { api }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;

  api.get(
    '/tokens',
    auth.requireStaff('admin', { action: 'token.list' }),
    audited(deps, 'token.list', async (req, res) => {
      const tokens = await listApiTokens(db);
      await audit(deps, req, res, { action: 'token.list', outcome: 'success', detail: { tokens: tokens.length } });
      res.json({ tokens });
    }),
  );

  api.post(
    '/tokens',
    auth.requireStaff('admin', { action: 'token.create' }),
    audited(deps, 'token.create', async (req, res) => {
      const body = parseInput(createTokenSchema, req.body, 'token');
      let staffUserId: string | undefined;
      if (body.kind === 'staff') {
        const user = await findStaffUser(db, body.username!);
        if (!user || user.disabledAt) throw badRequest('username: no such active user');
        staffUserId = user.id;
      }
      const { token, info } = await createApiToken(db, cfg, {
        kind: body.kind,
        name: body.name,
        staffUserId,
        appKey: body.appKey,
      });
      await audit(deps, req, res, {
        action: 'token.create',
        outcome: 'success',
        target: `token:${info.id}`,
        detail: {
          kind: info.kind,
          name: info.name,
          ...(body.username ? { actsAs: `user:${body.username}` } : {}),
          appKey: info.appKey,
        },
      });
      res.status(201).set('Cache-Control', 'no-store').json({ token, info, note: 'shown once: store it now' });
    }),
  );

  api.post(
    '/tokens/:id/revoke',
    auth.requireStaff('admin', { action: 'token.revoke' }),
    audited(deps, 'token.revoke', async (req, res) => {
      const info = await revokeApiToken(db, req.params.id as string);
      await audit(deps, req, res, {
        action: 'token.revoke',
        outcome: 'success',
        target: `token:${info.id}`,
        detail: { kind: info.kind, name: info.name },
      });
      res.json({ info });
    }),
  );
}
