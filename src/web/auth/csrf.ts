import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../../shared/platform/config';
import { getCookie, setCookie } from './cookies';
import type { StaffPrincipal } from './principal';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';
const LOGIN_CSRF_COOKIE = 'fa_login_csrf';

function equal(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request presents: the X-CSRF-Token header, or the `_csrf` field of a form post. */
function presented(req: Request): string | undefined {
  const header = req.get(CSRF_HEADER);
  if (header) return header;
  const body = req.body as Record<string, unknown> | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/**
 * Synchronizer-token check for a session request: state-changing methods must echo the token
 * stored with the session. Bearer-token requests carry no ambient credential, so they pass.
 */
export function csrfOk(req: Request, staff: StaffPrincipal): boolean {
  if (SAFE_METHODS.has(req.method) || staff.via === 'token') return true;
  return equal(presented(req), staff.csrfToken);
}

/**
 * Before login there is no session to hold a token, so the login form uses a double-submit
 * cookie (SameSite=Strict, httpOnly): a cross-site form cannot read or send it.
 */
export function issueLoginCsrf(req: Request, res: Response, cfg: Config): string {
  const existing = getCookie(req, cfg, LOGIN_CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(res, req, cfg, LOGIN_CSRF_COOKIE, token, { maxAgeMs: 3600_000 });
  return token;
}

export function loginCsrfOk(req: Request, cfg: Config): boolean {
  return equal(presented(req), getCookie(req, cfg, LOGIN_CSRF_COOKIE));
}
