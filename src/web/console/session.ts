import type { Request, Response } from 'express';
import { z } from 'zod';
import { recordAudit } from '../../shared/compliance/audit';
import { AppError, badRequest, unauthorized } from '../../shared/platform/errors';
import { issueLoginCsrf, loginCsrfOk } from '../auth/csrf';
import { login } from '../auth/login';
import { requestContext } from '../auth/principal';
import { endSession } from '../auth/sessions';
import { audit, audited, type ConsoleRouters, type RouteDeps } from './deps';
import { baseOf, sendPage } from './layout';
import { loginSchema } from './schemas';
import { loginPage } from './session-page';
import { tOf } from './locale';
import { parseInput } from './validate';

const loginForm = z.object({
  username: z.string().max(200).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
  _csrf: z.string().optional(),
});

/** Only a path inside the console may be a post-login destination (no open redirect). */
function safeNext(req: Request, next: string | undefined): string {
  const base = baseOf(req);
  if (next && next.startsWith(`${base}/`) && !next.startsWith('//') && !/[\\\s]/.test(next)) return next;
  return `${base}/`;
}

/** Logging in and out: the login form and `POST /api/login` for scripts; logout from both. */
export function sessionRoutes(deps: RouteDeps, { api, pages }: ConsoleRouters): void {
  const { db, cfg, auth } = deps;

  api.post('/login', async (req, res) => {
    if (!req.is('application/json')) throw badRequest('send JSON: {"username": "...", "password": "..."}');
    const body = parseInput(loginSchema, req.body, 'login');
    const result = await login(deps, req, res, body);
    if (!result.ok) {
      if (result.retryAfterSeconds) res.set('Retry-After', String(result.retryAfterSeconds));
      throw result.status === 429 ? new AppError('rate_limited', 429, result.message) : unauthorized(result.message);
    }
    res.json({ user: { username: result.user.username, role: result.user.role }, csrfToken: result.csrfToken });
  });

  const logout = (answer: (req: Request, res: Response) => void) =>
    audited(deps, 'logout', async (req, res) => {
      await endSession(db, cfg, req, res);
      await audit(deps, req, res, { action: 'logout', outcome: 'success' });
      answer(req, res);
    });
  api.post(
    '/logout',
    auth.requireStaff('viewer', { action: 'logout' }),
    logout((_req, res) => res.status(204).end()),
  );
  pages.post(
    '/logout',
    auth.requireStaff('viewer', { action: 'logout' }),
    logout((req, res) => res.redirect(303, `${baseOf(req)}/login`)),
  );

  pages.get('/login', async (req, res) => {
    const staff = await auth.resolveStaff(req);
    const next = typeof req.query.next === 'string' ? req.query.next : undefined;
    if (staff) {
      res.redirect(303, safeNext(req, next));
      return;
    }
    sendPage(res, 200, loginPage(req, res, issueLoginCsrf(req, res, cfg), { next }));
  });

  pages.post('/login', (req, res) => loginFromForm(deps, req, res));
}

/** The login form's post: CSRF first (refusals audited), then the shared login with its limits. */
async function loginFromForm(deps: RouteDeps, req: Request, res: Response): Promise<void> {
  const form = parseInput(loginForm, req.body, 'login form');
  const csrf = issueLoginCsrf(req, res, deps.cfg);
  if (!loginCsrfOk(req, deps.cfg)) {
    await recordAudit(deps.db, {
      actor: 'anonymous',
      action: 'login',
      outcome: 'denied',
      ...requestContext(req),
      detail: { reason: 'csrf' },
    });
    const error = tOf(req, res)('login.expired');
    sendPage(res, 403, loginPage(req, res, csrf, { next: form.next, error }));
    return;
  }
  const result = await login(deps, req, res, { username: form.username, password: form.password });
  if (result.ok) {
    res.redirect(303, safeNext(req, form.next));
    return;
  }
  if (result.retryAfterSeconds) res.set('Retry-After', String(result.retryAfterSeconds));
  const t = tOf(req, res);
  // The lockout says how long it lasts, and that an admin can lift it.
  const error =
    result.status === 429
      ? t('login.locked', { minutes: Math.ceil((result.retryAfterSeconds ?? 60) / 60) })
      : t('login.invalid');
  sendPage(
    res,
    result.status,
    loginPage(req, res, csrf, { next: form.next, error, username: form.username.slice(0, 64) }),
  );
}
