import type { Request, RequestHandler, Response } from 'express';
import {
  isLocale,
  negotiateLocale,
  translator,
  type Locale,
  type Translate,
} from '../../shared/compliance/i18n/translator';
import type { Config } from '../../shared/platform/config';
import { cookieName, readCookies, setCookie } from '../auth/cookies';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The language of the pages this request renders (see localeOf). */
      locale?: Locale;
      t?: Translate;
    }
  }
}

/** The cookie that remembers a staff member's language choice (not a secret; one year). */
export const LANG_COOKIE = 'console_lang';
const YEAR_MS = 365 * 24 * 3600_000;

/** The request's locale: the remembered switch, else Accept-Language, else Chinese. Cached on res.locals. */
export function localeOf(req: Request, res: Response): Locale {
  // Not a secret: either name will do (setCookie adds the __Host- prefix in secure mode).
  const cookies = readCookies(req);
  const remembered = cookies.get(cookieName(LANG_COOKIE, true)) ?? cookies.get(LANG_COOKIE);
  res.locals.locale ??= negotiateLocale(req.get('accept-language'), remembered);
  return res.locals.locale;
}

/** The translator every page renderer uses: `tOf(req, res)('nav.orders')`. */
export function tOf(req: Request, res: Response): Translate {
  res.locals.t ??= translator(localeOf(req, res));
  return res.locals.t;
}

/** Sets the locale early so every renderer (pages and error pages) agrees on it. */
export function localeMiddleware(): RequestHandler {
  return (req, res, next) => {
    localeOf(req, res);
    res.vary('Accept-Language');
    next();
  };
}

/** `GET /lang?to=en&next=/console/...`: remembers the choice and goes back to the page (inside the console only). */
export function languageSwitch(cfg: Config): RequestHandler {
  return (req, res) => {
    const to = req.query.to;
    const base = req.baseUrl || '';
    const next = typeof req.query.next === 'string' ? req.query.next : '';
    const safe = next.startsWith(`${base}/`) && !next.startsWith('//') && !/[\\\s]/.test(next) ? next : `${base}/`;
    if (isLocale(to)) setCookie(res, req, cfg, LANG_COOKIE, to, { maxAgeMs: YEAR_MS });
    res.redirect(303, safe);
  };
}
