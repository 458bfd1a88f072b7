import type { Request, Response } from 'express';
import { html } from './html';
import { baseOf, page } from './layout';

/** The login form; `csrf` is the double-submit token of the login cookie. */
export function loginPage(
  req: Request,
  res: Response,
  csrf: string,
  opts: { next?: string; error?: string; username?: string },
): string {
  const base = baseOf(req);
  return page(
    req,
    res,
    'Log in',
    html` <section class="login">
      <h1>Log in</h1>
      ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
      <form method="post" action="${base}/login">
        <input type="hidden" name="_csrf" value="${csrf}" />
        <input type="hidden" name="next" value="${opts.next ?? ''}" />
        <label
          >Username <input name="username" autocomplete="username" required value="${opts.username ?? ''}" autofocus
        /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        <button type="submit">Log in</button>
      </form>
    </section>`,
  );
}
