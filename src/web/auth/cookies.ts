import type { Request, Response } from 'express';
import type { Config } from '../../shared/platform/config';

/** Parses the Cookie header (no dependency needed for a handful of cookies). */
export function readCookies(req: Request): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const name = part.slice(0, i).trim();
    if (out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(part.slice(i + 1).trim()));
    } catch {
      // a malformed cookie is ignored, like a missing one
    }
  }
  return out;
}

/** Whether cookies set on this request get the Secure flag. */
export function cookieSecure(cfg: Config, req: Request): boolean {
  return cfg.CONSOLE_COOKIE_SECURE === 'true' || (cfg.CONSOLE_COOKIE_SECURE === 'auto' && req.secure);
}

/**
 * Cookie names: with Secure we use the `__Host-` prefix, which browsers only accept with
 * Secure, Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite it.
 */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

export function setCookie(
  res: Response,
  req: Request,
  cfg: Config,
  base: string,
  value: string,
  opts: { maxAgeMs?: number } = {},
): void {
  const secure = cookieSecure(cfg, req);
  res.cookie(cookieName(base, secure), value, {
    httpOnly: true,
    secure,
    sameSite: 'strict',
    path: '/',
    ...(opts.maxAgeMs !== undefined ? { maxAge: opts.maxAgeMs } : {}),
  });
}

export function clearCookie(res: Response, req: Request, cfg: Config, base: string): void {
  const secure = cookieSecure(cfg, req);
  res.clearCookie(cookieName(base, secure), { httpOnly: true, secure, sameSite: 'strict', path: '/' });
}

/**
 * Reads a cookie set by `setCookie`, under the name this request would set: with Secure only the
 * `__Host-` name, so a plain-named cookie planted by a sibling subdomain (or over http://) is
 * never read in its place.
 */
export function getCookie(req: Request, cfg: Config, base: string): string | undefined {
  return readCookies(req).get(cookieName(base, cookieSecure(cfg, req)));
}
