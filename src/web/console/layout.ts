import type { Request, Response } from 'express';
import { roleAtLeast } from '../../shared/compliance/staff/roles';
import { html, type Html } from './html';

/** Where the console is mounted (normally /console), for links. */
export const baseOf = (req: Request) => req.baseUrl || '';

/**
 * The page chrome. Scripts and styles are separate files: the CSP forbids inline code. `base` is
 * where the console is mounted: the router's own mount point unless the page is drawn elsewhere.
 */
export function page(req: Request, res: Response, title: string, body: Html | Html[], base = baseOf(req)): string {
  const staff = res.locals.staff;
  const nav = staff
    ? html`<nav>
        <a href="${base}/">Orders</a>
        <a href="${base}/at-risk">At risk</a>
        ${roleAtLeast(staff.role, 'auditor') ? html`<a href="${base}/audit">Audit trail</a>` : ''}
        ${roleAtLeast(staff.role, 'admin') ? html`<a href="${base}/accounts">Accounts</a>` : ''}
        ${roleAtLeast(staff.role, 'admin') ? html`<a href="${base}/webhooks">Webhooks</a>` : ''}
        <span class="who">${staff.username} (${staff.role})</span>
        <form method="post" action="${base}/logout" class="inline">
          <input type="hidden" name="_csrf" value="${staff.csrfToken ?? ''}" />
          <button type="submit" class="link">Log out</button>
        </form>
      </nav>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${staff?.csrfToken ?? ''}" />
        <meta name="console-base" content="${base}" />
        <title>${title} · faceid-archiver</title>
        <link rel="stylesheet" href="${base}/static/console.css" />
        <script src="${base}/static/console.js" defer></script>
      </head>
      <body>
        <header><a class="brand" href="${base}/">faceid-archiver · compliance console</a>${nav}</header>
        <main>${body}</main>
      </body>
    </html> `.value;
}

/** Sends a page with headers that keep it out of caches (it may show personal data). */
export function sendPage(res: Response, status: number, body: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
}
