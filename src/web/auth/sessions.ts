import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../../shared/platform/config';
import type { Db } from '../../shared/platform/db';
import type { StaffAccount } from '../../shared/compliance/staff/accounts';
import { clearCookie, getCookie, setCookie } from './cookies';
import type { StaffPrincipal } from './principal';

export const SESSION_COOKIE = 'fa_console';

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');
const SESSION_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Starts a session in PostgreSQL (so any replica can serve it) and sets the cookie. The cookie
 * holds 32 random bytes; the table holds their SHA-256, so a database dump cannot log anyone in.
 */
export async function startSession(
  db: Db,
  cfg: Config,
  req: Request,
  res: Response,
  user: StaffAccount,
): Promise<{ csrfToken: string }> {
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const now = new Date();
  const expiresAt = new Date(now.getTime() + cfg.CONSOLE_SESSION_HOURS * 3600_000);
  // A fresh id at every login (no fixation); expired sessions of anyone are swept on the way.
  await db.$transaction([
    db.staffSession.deleteMany({ where: { expiresAt: { lt: now } } }),
    db.staffSession.create({
      data: {
        idHash: sha256(id),
        userId: user.id,
        csrfToken,
        expiresAt,
        lastSeenAt: now,
        ip: req.ip ?? null,
        userAgent: req.get('user-agent')?.slice(0, 300) ?? null,
      },
      select: { idHash: true },
    }),
  ]);
  setCookie(res, req, cfg, SESSION_COOKIE, id);
  return { csrfToken };
}

/** The staff member of a valid session cookie, or undefined (missing, unknown, expired, idle, disabled). */
export async function loadSession(db: Db, cfg: Config, req: Request): Promise<StaffPrincipal | undefined> {
  const id = getCookie(req, cfg, SESSION_COOKIE);
  if (!id || !SESSION_RE.test(id)) return undefined;
  const idHash = sha256(id);
  const row = await db.staffSession.findUnique({
    where: { idHash },
    include: { user: { select: { id: true, username: true, role: true, appKeys: true, disabledAt: true } } },
  });
  const now = Date.now();
  if (!row || row.user.disabledAt || row.expiresAt.getTime() <= now) return undefined;
  if (now - row.lastSeenAt.getTime() > cfg.CONSOLE_SESSION_IDLE_MINUTES * 60_000) return undefined;
  if (now - row.lastSeenAt.getTime() > 30_000) {
    await db.staffSession.updateMany({ where: { idHash }, data: { lastSeenAt: new Date(now) } });
  }
  return {
    via: 'session',
    userId: row.user.id,
    username: row.user.username,
    role: row.user.role,
    appKeys: row.user.appKeys,
    actor: `user:${row.user.username}`,
    csrfToken: row.csrfToken,
    sessionIdHash: idHash,
  };
}

/** Ends the session of this request (if any) and clears the cookie. */
export async function endSession(db: Db, cfg: Config, req: Request, res: Response): Promise<void> {
  const id = getCookie(req, cfg, SESSION_COOKIE);
  if (id && SESSION_RE.test(id)) await db.staffSession.deleteMany({ where: { idHash: sha256(id) } });
  clearCookie(res, req, cfg, SESSION_COOKIE);
}
