import { createHash } from 'node:crypto';
import type { Config } from '../../platform/config';
import type { Db } from '../../platform/db';

/** Login attempts are counted by a hash of the username: what people type there is sometimes their password. */
export function loginKey(username: string): string {
  return createHash('sha256').update(username.trim().toLowerCase().slice(0, 64), 'utf8').digest('hex');
}

/**
 * When each of these accounts may log in again, for those locked out by failed logins (the
 * per-username limit of web/auth/login.ts); accounts not locked are absent.
 */
export async function lockedAccounts(db: Db, cfg: Config, usernames: readonly string[]): Promise<Map<string, Date>> {
  const since = new Date(Date.now() - cfg.CONSOLE_LOGIN_WINDOW_MINUTES * 60_000);
  const out = new Map<string, Date>();
  await Promise.all(
    usernames.map(async (u) => {
      const who = loginKey(u);
      const lastOk = await db.loginAttempt.findFirst({
        where: { username: who, success: true, createdAt: { gte: since } },
        orderBy: { id: 'desc' },
        select: { id: true },
      });
      const failures = await db.loginAttempt.findMany({
        where: {
          username: who,
          success: false,
          createdAt: { gte: since },
          ...(lastOk ? { id: { gt: lastOk.id } } : {}),
        },
        orderBy: { id: 'desc' },
        select: { createdAt: true },
        take: cfg.CONSOLE_LOGIN_MAX_FAILURES_PER_USER + 1,
      });
      if (failures.length > cfg.CONSOLE_LOGIN_MAX_FAILURES_PER_USER) {
        // Every refused attempt counts too, so the lock lasts a whole window after the latest one.
        out.set(u, new Date(failures[0]!.createdAt.getTime() + cfg.CONSOLE_LOGIN_WINDOW_MINUTES * 60_000));
      }
    }),
  );
  return out;
}

/** An admin lifts a username's lockout: its failed attempts are forgotten (the per-IP limit stays). */
export async function unlockLogin(db: Db, username: string): Promise<number> {
  const { count } = await db.loginAttempt.deleteMany({ where: { username: loginKey(username), success: false } });
  return count;
}
