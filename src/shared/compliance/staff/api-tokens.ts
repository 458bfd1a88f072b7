import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../platform/config';
import type { Db } from '../../platform/db';
import { badRequest, notFound } from '../../platform/errors';
import type { ApiToken, ApiTokenKind } from '../../../generated/prisma/client';

/** API tokens look like `fa_<43 base64url chars>` (32 random bytes); only their SHA-256 is stored. */
const TOKEN_PREFIX = 'fa_';
const TOKEN_RE = /^fa_[A-Za-z0-9_-]{43}$/;

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\u0000-\u001f]*$/, 'no control characters');

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function looksLikeToken(value: string): boolean {
  return TOKEN_RE.test(value);
}

/** Token fields safe to list (never the hash). */
export type TokenInfo = Pick<
  ApiToken,
  | 'id'
  | 'kind'
  | 'name'
  | 'staffUserId'
  | 'appKey'
  | 'scopes'
  | 'issuedBy'
  | 'expiresAt'
  | 'createdAt'
  | 'lastUsedAt'
  | 'revokedAt'
>;

/** Grants a partner token may hold besides its app: `pii` = the read API returns personal fields. */
export const TOKEN_SCOPES = ['pii'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
const infoSelect = {
  id: true,
  kind: true,
  name: true,
  staffUserId: true,
  appKey: true,
  scopes: true,
  issuedBy: true,
  expiresAt: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

export interface CreateTokenInput {
  kind: ApiTokenKind;
  name: string;
  /** Staff tokens: the user they act as. */
  staffUserId?: string;
  /** Partner tokens: restrict to one configured app key; omitted = every app. */
  appKey?: string | null;
  /** Partner tokens: extra grants (TOKEN_SCOPES). */
  scopes?: readonly string[];
  /** Who creates it (user:<name>, cli:<os user>): named on every audit row the token causes. */
  issuedBy?: string;
  /** Staff tokens: lifetime in days (default STAFF_TOKEN_DAYS, at most STAFF_TOKEN_MAX_DAYS). */
  expiresInDays?: number;
}

/** When a staff token made now expires; refuses a lifetime over the configured maximum. */
function staffTokenExpiry(cfg: Config, days: number | undefined, now = new Date()): Date {
  const d = days ?? cfg.STAFF_TOKEN_DAYS;
  if (!Number.isInteger(d) || d < 1 || d > cfg.STAFF_TOKEN_MAX_DAYS) {
    throw badRequest(`expiresInDays: a whole number of days from 1 to ${cfg.STAFF_TOKEN_MAX_DAYS}`);
  }
  return new Date(now.getTime() + d * 86_400_000);
}

/** Creates a token; the plain value is returned once and never stored. */
export async function createApiToken(
  db: Db,
  cfg: Config,
  input: CreateTokenInput,
): Promise<{ token: string; info: TokenInfo }> {
  const name = tokenNameSchema.parse(input.name);
  if (input.kind === 'staff' && !input.staffUserId) throw badRequest('a staff token needs a staff user');
  if (input.kind === 'partner' && input.staffUserId) throw badRequest('a partner token cannot act as a staff user');
  if (input.kind === 'staff' && input.appKey) throw badRequest('--app applies to partner tokens only');
  const scopes = [...new Set(input.scopes ?? [])];
  const unknown = scopes.filter((x) => !(TOKEN_SCOPES as readonly string[]).includes(x));
  if (unknown.length) throw badRequest(`unknown scope; known: ${TOKEN_SCOPES.join(', ')}`);
  if (scopes.length && input.kind !== 'partner') throw badRequest('scopes apply to partner tokens only');
  if (input.kind === 'partner' && input.expiresInDays !== undefined) throw badRequest('expiry applies to staff tokens');
  const expiresAt = input.kind === 'staff' ? staffTokenExpiry(cfg, input.expiresInDays) : null;
  if (input.appKey && !cfg.apps.some((a) => a.key === input.appKey)) {
    throw badRequest(`unknown app key; configured: ${cfg.apps.map((a) => a.key).join(', ')}`);
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const info = await db.apiToken.create({
    data: {
      kind: input.kind,
      name,
      tokenHash: hashToken(token),
      staffUserId: input.kind === 'staff' ? input.staffUserId : null,
      appKey: input.kind === 'partner' ? (input.appKey ?? null) : null,
      scopes,
      issuedBy: input.issuedBy ?? null,
      expiresAt,
    },
    select: infoSelect,
  });
  return { token, info };
}

/** Revokes a token by id; idempotent (revoking twice keeps the first time). */
export async function revokeApiToken(db: Db, id: string): Promise<TokenInfo> {
  if (!z.uuid().safeParse(id).success) throw badRequest('token id must be a UUID');
  const found = await db.apiToken.findUnique({ where: { id }, select: infoSelect });
  if (!found) throw notFound('no such token');
  if (found.revokedAt) return found;
  return db.apiToken.update({ where: { id }, data: { revokedAt: new Date() }, select: infoSelect });
}

export function listApiTokens(db: Db): Promise<TokenInfo[]> {
  return db.apiToken.findMany({ select: infoSelect, orderBy: { createdAt: 'desc' } });
}

/** The live token for a presented value (with its staff user), or null when unknown, revoked or expired. */
export async function findActiveToken(db: Db, token: string, now = new Date()) {
  if (!looksLikeToken(token)) return null;
  const row = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { staffUser: { select: { id: true, username: true, role: true, appKeys: true, disabledAt: true } } },
  });
  if (!row || row.revokedAt) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return null;
  return row;
}

/** Records use at most once a minute per token, so a busy integration does not write on every call. */
export async function touchToken(db: Db, row: Pick<ApiToken, 'id' | 'lastUsedAt'>, now = new Date()): Promise<void> {
  if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() < 60_000) return;
  await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now }, select: { id: true } });
}

/** The bearer token of a request, if the Authorization header carries one. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
