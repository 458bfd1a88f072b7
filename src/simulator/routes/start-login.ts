import express, { type Request, type Response, Router } from 'express';
import { signatureMatches } from '../../shared/webank/signature';
import { h5LoginSign } from '../../shared/webank/start-signature';
import { CODES } from '../codes';
import type { FaceSessions } from '../face-sessions';
import { flatQuery } from '../request-log';
import type { NonceRefusal, TicketOffice } from '../ticket-office';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

type LoginRefusal = NonceRefusal | 'params' | 'session' | 'url';

const MESSAGES: Record<LoginRefusal, [code: string, text: string]> = {
  params: [CODES.badRequest.code, '请求参数不完整或不合法'],
  session: [CODES.badRequest.code, '刷脸标识与订单或用户不匹配'],
  url: [CODES.badRequest.code, '回调地址不合法'],
  sign: [CODES.badSign.code, '签名校验失败'],
  used: [CODES.badSign.code, '签名已使用,请重新发起人脸核身'],
  expired: [CODES.badSign.code, '签名已过期,请重新发起人脸核身'],
};

/**
 * The error page WeBank's H5 shows when a start cannot log in. WeBank documents no page or code
 * for a bad, reused or expired login sign (docs/simulator.md): the simulator shows this page with
 * its authentication code and, for tests, the reason in `data-reason`. It never redirects to `url`.
 */
function errorPage(res: Response, reason: LoginRefusal): void {
  const [code, text] = MESSAGES[reason];
  res
    .status(200)
    .type('html')
    .set('Cache-Control', 'no-store')
    .send(
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>人脸核身</title></head><body style="font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem">` +
        `<h1 id="error" data-reason="${esc(reason)}">无法进入人脸核身</h1><p id="code">${esc(code)}</p><p id="message">${esc(text)}</p></body></html>`,
    );
}

function httpUrl(raw: string | undefined): URL | undefined {
  try {
    const u = new URL(raw ?? '');
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `GET /api/web/login`, the start URL a browser opens: the faceId must name an upload of the
 * same app, order and user, the sign must verify with one of the user's NONCE tickets, which is
 * then used up (one-time, 120 s). Success logs the browser into the scan page (`/h5/start`).
 * Current names (`appId`, `faceId`) and older ones (`webankAppId`, `h5faceId`) are both accepted.
 */
export function startLoginRoutes(office: TicketOffice, sessions: FaceSessions): Router {
  const router = Router();

  router.get('/api/web/login', (req: Request, res: Response) => {
    const q = flatQuery(req.query);
    const appId = q.appId ?? q.webankAppId ?? '';
    const faceId = q.faceId ?? q.h5faceId ?? '';
    const { orderNo = '', userId = '', nonce = '', version = '', sign = '' } = q;
    if (!appId || !faceId || !orderNo || !userId || version !== '1.0.0' || !/^[A-Za-z0-9]{32}$/.test(nonce))
      return errorPage(res, 'params');
    if (!/^[0-9A-Fa-f]{40}$/.test(sign)) return errorPage(res, 'sign');
    const session = sessions.get(faceId);
    if (!session || session.appId !== appId || session.orderNo !== orderNo || session.userId !== userId)
      return errorPage(res, 'session');
    // URLSearchParams already decoded `url` once, as WeBank does; it must be absolute http(s).
    const url = httpUrl(q.url);
    if (!url) return errorPage(res, 'url');
    const redeemed = office.redeemNonce(appId, userId, (ticket) =>
      signatureMatches(sign, h5LoginSign({ appId, userId, orderNo, version, faceId, ticket, nonce })),
    );
    if (!redeemed.ok) return errorPage(res, redeemed.reason);
    const scan = new URLSearchParams({ appId, orderNo, url: url.href, product: 'faceid' });
    res.redirect(302, `/h5/start?${scan.toString()}`);
  });

  return router;
}

/** Control additions for the start flow: expire NONCE tickets, read what an upload recorded. */
export function startControlRoutes(office: TicketOffice, sessions: FaceSessions): Router {
  const router = Router();
  router.post('/nonce-tickets/expire', express.json({ limit: '4kb' }), (req, res) => {
    const appId = (req.body as { appId?: unknown } | undefined)?.appId;
    if (appId !== undefined && (typeof appId !== 'string' || !office.knowsApp(appId)))
      return void res.status(400).json({ error: 'unknown appId' });
    office.expireNonces(appId);
    res.status(204).end();
  });
  router.get('/face-sessions/:appId/:orderNo', (req, res) => {
    const s = sessions.forOrder(String(req.params.appId), String(req.params.orderNo));
    if (!s) return void res.status(404).json({ error: 'unknown session' });
    res.json(s);
  });
  return router;
}
