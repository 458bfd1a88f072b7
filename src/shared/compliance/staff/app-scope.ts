import { z } from 'zod';
import type { Config } from '../../platform/config';
import { badRequest, forbidden } from '../../platform/errors';

/**
 * Which apps a member of staff may see: the WeBank app ids of their account's app keys, or null
 * for every app (an account with no keys, as every account was before scopes existed). Checked on
 * search, order pages, evidence, export and re-queue, and in the CLI (CLI_APP_SCOPE).
 */
export type AppScope = ReadonlySet<string> | null;

export const appKeysSchema = z.array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'an app key')).max(100);

/** Checks app keys against the configuration (a typo must not silently scope an account to nothing). */
export function validAppKeys(cfg: Config, keys: readonly string[]): string[] {
  const unknown = keys.filter((k) => !cfg.apps.some((a) => a.key === k));
  if (unknown.length) {
    throw badRequest(
      `apps: unknown app key ${unknown.join(', ')}; configured: ${cfg.apps.map((a) => a.key).join(', ')}`,
    );
  }
  return [...new Set(keys)];
}

/** The scope of an account's app keys; keys no longer configured match nothing. */
export function scopeOf(cfg: Config, appKeys: readonly string[] | null | undefined): AppScope {
  if (!appKeys || appKeys.length === 0) return null;
  return new Set(cfg.apps.filter((a) => appKeys.includes(a.key)).map((a) => a.appId));
}

export function inScope(scope: AppScope, appId: string): boolean {
  return scope === null || scope.has(appId);
}

/** Refuses an order of an app outside the scope (403, so the refusal is audited as denied). */
export function assertInScope(scope: AppScope, order: { appId: string }): void {
  if (!inScope(scope, order.appId)) throw forbidden('this order belongs to an app outside your scope');
}

/** A Prisma filter on `appId` restricting a query to the scope. */
export function scopeFilter(scope: AppScope): { appId?: { in: string[] } } {
  return scope === null ? {} : { appId: { in: [...scope] } };
}
