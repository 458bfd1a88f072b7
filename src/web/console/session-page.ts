import type { Request, Response } from 'express';
import { html } from './html';
import { baseOf, page } from './layout';
import { tOf } from './locale';

/** The login form; `csrf` is the double-submit token of the login cookie. `error` is already translated. */
export function loginPage(
  req: Request,
  res: Response,
  csrf: string,
  opts: { next?: string; error?: string; username?: string },
): string {
  const base = baseOf(req);
  const t = tOf(req, res);
  return page(
    req,
    res,
    t('login.title'),
    html` <section class="login">
      <h1>${t('login.title')}</h1>
      ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
      <form method="post" action="${base}/login">
        <input type="hidden" name="_csrf" value="${csrf}" />
        <input type="hidden" name="next" value="${opts.next ?? ''}" />
        <label
          >${t('login.username')}
          <input name="username" autocomplete="username" required value="${opts.username ?? ''}" autofocus
        /></label>
        <label
          >${t('login.password')} <input name="password" type="password" autocomplete="current-password" required
        /></label>
        <button type="submit">${t('login.submit')}</button>
      </form>
    </section>`,
  );
}
