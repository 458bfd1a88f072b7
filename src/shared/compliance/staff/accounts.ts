import { z } from 'zod';
import type { Db } from '../../platform/db';
import type { StaffUser } from '../../../generated/prisma/client';
import { conflict, notFound } from '../../platform/errors';
import { dummyHash, hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyPassword } from './passwords';
import { appKeysSchema } from './app-scope';
import { ROLES, type Role } from './roles';

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, '2-64 characters: letters, digits, dot, underscore or hyphen');

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `at most ${PASSWORD_MAX_LENGTH} characters`);

export const roleSchema = z.enum(ROLES);

/** The account fields safe to show and log (never the hash). */
export type StaffAccount = Pick<StaffUser, 'id' | 'username' | 'role' | 'appKeys' | 'disabledAt' | 'createdAt'>;

const accountSelect = {
  id: true,
  username: true,
  role: true,
  appKeys: true,
  disabledAt: true,
  createdAt: true,
} as const;

/** `apps`: the app keys the account may see (checked against the configuration by the caller); omitted or empty = every app. */
export async function createStaffUser(
  db: Db,
  input: { username: string; role: Role; password: string; apps?: readonly string[] },
): Promise<StaffAccount> {
  const username = usernameSchema.parse(input.username);
  const password = passwordSchema.parse(input.password);
  const appKeys = appKeysSchema.parse(input.apps ?? []);
  const passwordHash = await hashPassword(password);
  try {
    return await db.staffUser.create({
      data: { username, role: input.role, passwordHash, appKeys },
      select: accountSelect,
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002') throw conflict(`user ${username} already exists`);
    throw err;
  }
}

/** Disables the account, ends its sessions and revokes its API tokens. Idempotent. */
export async function disableStaffUser(db: Db, username: string): Promise<StaffAccount> {
  const user = await db.staffUser.findUnique({
    where: { username: usernameSchema.parse(username) },
    select: accountSelect,
  });
  if (!user) throw notFound(`no user ${username}`);
  const now = new Date();
  const [updated] = await db.$transaction([
    db.staffUser.update({
      where: { id: user.id },
      data: { disabledAt: user.disabledAt ?? now },
      select: accountSelect,
    }),
    db.staffSession.deleteMany({ where: { userId: user.id } }),
    db.apiToken.updateMany({ where: { staffUserId: user.id, revokedAt: null }, data: { revokedAt: now } }),
  ]);
  return updated;
}

export function listStaffUsers(db: Db): Promise<StaffAccount[]> {
  return db.staffUser.findMany({ select: accountSelect, orderBy: { username: 'asc' } });
}

export function findStaffUser(db: Db, username: string): Promise<StaffAccount | null> {
  const parsed = usernameSchema.safeParse(username);
  if (!parsed.success) return Promise.resolve(null);
  return db.staffUser.findUnique({ where: { username: parsed.data }, select: accountSelect });
}

export type CheckResult =
  | { ok: true; user: StaffAccount }
  | { ok: false; reason: 'unknown_user' | 'disabled' | 'bad_password'; user?: StaffAccount };

/**
 * Checks a username and password. Unknown users are checked against a dummy hash so that the
 * response time does not reveal which usernames exist.
 */
export async function checkPassword(db: Db, username: string, password: string): Promise<CheckResult> {
  const parsed = usernameSchema.safeParse(username);
  const row = parsed.success ? await db.staffUser.findUnique({ where: { username: parsed.data } }) : null;
  const matches = await verifyPassword(
    password.slice(0, PASSWORD_MAX_LENGTH),
    row?.passwordHash ?? (await dummyHash()),
  );
  if (!row) return { ok: false, reason: 'unknown_user' };
  const user: StaffAccount = {
    id: row.id,
    username: row.username,
    role: row.role,
    appKeys: row.appKeys,
    disabledAt: row.disabledAt,
    createdAt: row.createdAt,
  };
  if (!matches) return { ok: false, reason: 'bad_password', user };
  if (row.disabledAt) return { ok: false, reason: 'disabled', user };
  return { ok: true, user };
}

/** Sets the apps an account may see (empty = every app); its sessions and tokens follow at once. */
export async function setStaffUserApps(db: Db, username: string, apps: readonly string[]): Promise<StaffAccount> {
  const found = await findStaffUser(db, username);
  if (!found) throw notFound(`no user ${username}`);
  return db.staffUser.update({
    where: { id: found.id },
    data: { appKeys: appKeysSchema.parse([...apps]) },
    select: accountSelect,
  });
}
