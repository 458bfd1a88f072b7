import type { Request, Response } from 'express';
import { LOCALES } from '../../shared/compliance/i18n/translator';
import { roleAtLeast } from '../../shared/compliance/staff/roles';
import { displayZone } from '../../shared/platform/display-time';
import { html, type Html } from './html';
import { localeOf, tOf } from './locale';

/** Where the console is mounted (normally /console), for links. */
export const baseOf = (req: Request) => req.baseUrl || '';

/** Where the web app mounts bull-board (kept equal to queue-dashboard.ts's QUEUE_DASHBOARD_PATH). */
const QUEUES_PATH = '/admin/queues';

/** The words the console's script shows (results of buttons, errors by code), in the page's language. */
const SCRIPT_MESSAGE_KEYS = [
  'common.working',
  'common.done',
  'common.copied',
  'order.revealed',
  'order.verifyPass',
  'order.verifyFail',
  'order.verifyNone',
  'order.verdict.ok',
  'order.verdict.mismatch',
  'order.verdict.missing',
  'order.verdict.size_mismatch',
  'order.requeued',
  'webhooks.newSecret',
  'webhooks.secretShownOnce',
  'webhooks.replayed',
  'purpose.required',
  'tokens.shownOnce',
  'errors.generic',
];
const SCRIPT_ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'csrf',
  'not_found',
  'conflict',
  'rate_limited',
  'evidence_missing',
  'integrity_failed',
  'evidence_changed',
  'package_incomplete',
  'export_not_configured',
  'too_large',
  'unavailable',
  'purpose_required',
  'ambiguous',
  'internal',
];

function scriptMessages(req: Request, res: Response): string {
  const t = tOf(req, res);
  const out: Record<string, string> = {};
  for (const k of SCRIPT_MESSAGE_KEYS) out[k] = t(k);
  for (const c of SCRIPT_ERROR_CODES) out[`errors.code.${c}`] = t(`errors.code.${c}`);
  return JSON.stringify(out);
}

/** The menu: what the signed-in role may open, who is signed in, logout. Also drawn on error pages. */
function navigation(req: Request, res: Response, base: string): Html | string {
  const staff = res.locals.staff;
  if (!staff) return '';
  const t = tOf(req, res);
  return html`<nav id="menu">
    <a href="${base}/">${t('nav.orders')}</a>
    <a href="${base}/attention" id="nav-attention"
      >${t('nav.attention')}${
        res.locals.attentionCount !== undefined
          ? html` <span class="attention-count" id="attention-count">${String(res.locals.attentionCount)}</span>`
          : ''
      }</a
    >
    <a href="${base}/at-risk">${t('nav.atRisk')}</a>
    <a href="${base}/callbacks">${t('nav.callbacks')}</a>
    ${roleAtLeast(staff.role, 'auditor') ? html`<a href="${base}/audit">${t('nav.audit')}</a>` : ''}
    ${roleAtLeast(staff.role, 'admin') ? html`<a href="${base}/accounts">${t('nav.accounts')}</a>` : ''}
    ${roleAtLeast(staff.role, 'admin') ? html`<a href="${QUEUES_PATH}" id="nav-queues">${t('nav.queues')}</a>` : ''}
    ${roleAtLeast(staff.role, 'admin') ? html`<a href="${base}/webhooks" id="nav-webhooks">${t('nav.webhooks')}</a>` : ''}
    <span class="who">${t('nav.who', { user: staff.username, role: t(`role.${staff.role}`) })}</span>
    <form method="post" action="${base}/logout" class="inline">
      <input type="hidden" name="_csrf" value="${staff.csrfToken ?? ''}" />
      <button type="submit" class="link">${t('nav.logout')}</button>
    </form>
  </nav>`;
}

/** The link to the other language; `/lang` remembers the choice in a cookie and comes back here. */
function languageLink(req: Request, res: Response, base: string): Html {
  const current = localeOf(req, res);
  const other = LOCALES.find((l) => l !== current) ?? current;
  const t = tOf(req, res);
  const next = encodeURIComponent(req.originalUrl.startsWith(`${base}/`) ? req.originalUrl : `${base}/`);
  return html`<a
    class="lang"
    id="lang-switch"
    lang="${other}"
    hreflang="${other}"
    href="${base}/lang?to=${other}&next=${next}"
    >${t(`lang.${other}`)}</a
  >`;
}

/**
 * The page chrome. Scripts and styles are separate files: the CSP forbids inline code. `base` is
 * where the console is mounted: the router's own mount point unless the page is drawn elsewhere.
 * `title` is already translated.
 */
export function page(req: Request, res: Response, title: string, body: Html | Html[], base = baseOf(req)): string {
  const staff = res.locals.staff;
  const t = tOf(req, res);
  const zone = displayZone();
  return html`<!doctype html>
    <html lang="${localeOf(req, res)}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${staff?.csrfToken ?? ''}" />
        <meta name="console-base" content="${base}" />
        <meta name="console-messages" content="${scriptMessages(req, res)}" />
        <title>${t('app.title', { title })}</title>
        <link rel="stylesheet" href="${base}/static/console.css" />
        <script src="${base}/static/console.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="${base}/">${t('app.brand')}</a>${navigation(req, res, base)}
          ${languageLink(req, res, base)}
        </header>
        <main>${body}</main>
        <footer class="hint">${t('common.timeZone', { zone: zone.name, offset: zone.offset })}</footer>
      </body>
    </html> `.value;
}

/** Sends a page with headers that keep it out of caches (it may show personal data). */
export function sendPage(res: Response, status: number, body: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
}
