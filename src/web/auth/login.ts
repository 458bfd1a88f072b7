import type { Request, Response } from 'express';
import { recordAudit } from '../../shared/compliance/audit';
import type { Config } from '../../shared/platform/config';
import type { Db } from '../../shared/platform/db';
import { checkPassword, type StaffAccount } from '../../shared/compliance/staff/accounts';
import { loginKey } from '../../shared/compliance/staff/login-lock';
import { requestContext } from './principal';
import { startSession } from './sessions';

export type LoginResult =
  | { ok: true; user: StaffAccount; csrfToken: string }
  | { ok: false; status: 401 | 429; message: string; retryAfterSeconds?: number };

const INVALID = 'invalid username or password';

/**
 * Counts failed attempts in PostgreSQL so the limit holds across web replicas. The attempt is
 * recorded (as failed) before it is judged, so concurrent guesses cannot slip past the count;
 * a success flips its own row. Per username: failures since the last success within the window;
 * per IP: failures within the window. Attempts refused by the limit count too, so a client that
 * keeps hammering stays locked out until it pauses for the whole window.
 */
export async function login(
  deps: { db: Db; cfg: Config },
  req: Request,
  res: Response,
  input: { username: string; password: string },
): Promise<LoginResult> {
  const { db, cfg } = deps;
  const username = input.username.trim().toLowerCase().slice(0, 64);
  // Counted by a hash: what people type as a username is sometimes their password.
  const who = loginKey(username);
  const ctx = requestContext(req);
  const ip = ctx.ip ?? 'unknown';
  const now = Date.now();
  const since = new Date(now - cfg.CONSOLE_LOGIN_WINDOW_MINUTES * 60_000);
  const dayAgo = new Date(now - 24 * 3600_000);

  await db.loginAttempt.deleteMany({
    where: {
      OR: [
        { username: who, createdAt: { lt: dayAgo } },
        { ip, createdAt: { lt: dayAgo } },
      ],
    },
  });
  const attempt = await db.loginAttempt.create({ data: { username: who, ip, success: false }, select: { id: true } });
  const lastOk = await db.loginAttempt.findFirst({
    where: { username: who, success: true, createdAt: { gte: since } },
    orderBy: { id: 'desc' },
    select: { id: true },
  });
  const [userFailures, ipFailures] = await Promise.all([
    db.loginAttempt.count({
      where: { username: who, success: false, createdAt: { gte: since }, ...(lastOk ? { id: { gt: lastOk.id } } : {}) },
    }),
    db.loginAttempt.count({ where: { ip, success: false, createdAt: { gte: since } } }),
  ]);

  const known = await db.staffUser.findUnique({ where: { username }, select: { username: true } }).catch(() => null);
  // A failed username is recorded only when it names a real account: people type passwords there.
  const target = known ? `user:${known.username}` : null;

  if (userFailures > cfg.CONSOLE_LOGIN_MAX_FAILURES_PER_USER || ipFailures > cfg.CONSOLE_LOGIN_MAX_FAILURES_PER_IP) {
    await recordAudit(db, {
      actor: 'anonymous',
      action: 'login',
      outcome: 'denied',
      target,
      ...ctx,
      detail: {
        reason: 'rate_limited',
        scope: userFailures > cfg.CONSOLE_LOGIN_MAX_FAILURES_PER_USER ? 'username' : 'ip',
      },
    });
    const retryAfterSeconds = cfg.CONSOLE_LOGIN_WINDOW_MINUTES * 60;
    return { ok: false, status: 429, message: 'too many failed logins; try again later', retryAfterSeconds };
  }

  const check = await checkPassword(db, username, input.password);
  if (!check.ok) {
    await recordAudit(db, {
      actor: 'anonymous',
      action: 'login',
      outcome: 'failure',
      target,
      ...ctx,
      detail: { reason: check.reason },
    });
    return { ok: false, status: 401, message: INVALID };
  }
  await db.loginAttempt.update({ where: { id: attempt.id }, data: { success: true }, select: { id: true } });
  const { csrfToken } = await startSession(db, cfg, req, res, check.user);
  await recordAudit(db, {
    actor: `user:${check.user.username}`,
    actorRole: check.user.role,
    action: 'login',
    outcome: 'success',
    target: `user:${check.user.username}`,
    ...ctx,
    detail: { via: 'password' },
  });
  return { ok: true, user: check.user, csrfToken };
}
