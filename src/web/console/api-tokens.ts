import { createApiToken, listApiTokens, revokeApiToken } from '../../shared/compliance/staff/api-tokens';
import { forbidden } from '../../shared/platform/errors';
import { audit, audited, staffOf, type ConsoleRouters, type RouteDeps } from './deps';
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
      const staff = staffOf(res);
      let staffUserId: string | undefined;
      if (body.kind === 'staff') {
        // Only for oneself: a token for someone else would have its actions audited as them.
        if (body.username && body.username !== staff.username)
          throw forbidden('staff tokens can only be created for yourself');
        staffUserId = staff.userId;
      }
      const { token, info } = await createApiToken(db, cfg, {
        kind: body.kind,
        name: body.name,
        staffUserId,
        appKey: body.appKey,
        issuedBy: staff.actor,
        expiresInDays: body.expiresInDays,
      });
      await audit(deps, req, res, {
        action: 'token.create',
        outcome: 'success',
        target: `token:${info.id}`,
        detail: {
          kind: info.kind,
          name: info.name,
          ...(body.kind === 'staff' ? { actsAs: staff.actor, expiresAt: info.expiresAt } : {}),
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
