import express, { type Request, type Response, Router } from 'express';
import { flatQuery } from '../request-log';
import { FRONTEND_ERROR_CODES, type ScanInput, type ScanRecord, type SimProduct } from '../types';

export interface H5Deps {
  knowsApp(appId: string): boolean;
  createScan(input: ScanInput): ScanRecord;
  callbackQuery(appId: string, orderNo: string): Record<string, string>;
  frontendErrorQuery(appId: string, orderNo: string, code: string): Record<string, string>;
}

/** The front-end codes of 1007/114178 (返回码 / 返回信息), sent back unsigned. */
const FRONTEND_ERRORS: Record<(typeof FRONTEND_ERROR_CODES)[number], string> = {
  '3001': '该浏览器不支持视频录制',
  '3002': '登录态异常,cookie 参数缺失',
  '3003': '人脸核身中途中断',
  '3004': '无摄像头权限',
  '3005': '该浏览器不支持实时检测模式',
  '300101': '报文包体问题',
};

const FAIL_CODES: [string, string][] = [
  ['66660015', '姓名或身份证号码不正确'],
  ['66660018', '照片与身份证照片不是同一人'],
  ['66660023', '照片质量过低'],
  ['66660017', '验证次数超限'],
];
const PRODUCTS: SimProduct[] = ['faceid', 'liveness', 'ocr'];

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}
button{display:block;width:100%;margin:.5rem 0;padding:.8rem;font-size:1rem}</style></head><body>${body}</body></html>`;
}

function httpUrl(raw: string | undefined): URL | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

interface Params {
  appId: string;
  orderNo: string;
  url: URL;
  product: SimProduct;
}

function params(q: Record<string, string>, deps: H5Deps): Params | string {
  const appId = q.appId ?? q.app_id ?? '';
  const orderNo = q.orderNo ?? q.order_no ?? '';
  const url = httpUrl(q.url);
  const product = (q.product ?? 'faceid') as SimProduct;
  if (!deps.knowsApp(appId)) return 'Unknown appId.';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(orderNo)) return 'orderNo must be 1-64 letters, digits, _ or -.';
  if (!url) return 'url must be an absolute http(s) URL.';
  if (!PRODUCTS.includes(product)) return 'Unknown product.';
  return { appId, orderNo, url, product };
}

/**
 * The H5 face-scan page a browser is sent to: buttons stand in for the user's face. Pass and fail
 * record the scan and redirect to `url` signed with the ticket current at that moment; abandon
 * records an abandoned scan and stays on the simulator, as WeBank's page does when the user leaves.
 */
export function h5Routes(deps: H5Deps): Router {
  const router = Router();

  router.get('/h5/start', (req: Request, res: Response) => {
    const p = params(flatQuery(req.query), deps);
    if (typeof p === 'string')
      return void res
        .status(400)
        .type('html')
        .send(page('Bad request', `<p>${esc(p)}</p>`));
    const hidden = (n: string, v: string) => `<input type="hidden" name="${n}" value="${esc(v)}">`;
    const options = FAIL_CODES.map(([c, m]) => `<option value="${c}">${c} ${esc(m)}</option>`).join('');
    const frontendOptions = Object.entries(FRONTEND_ERRORS)
      .map(([c, m]) => `<option value="${c}">${c} ${esc(m)}</option>`)
      .join('');
    res.type('html').send(
      page(
        'WeBank face verification (simulator)',
        `<h1>Face verification</h1><p>Simulated scan for order <code>${esc(p.orderNo)}</code>.</p>
<form method="post" action="/h5/finish">${hidden('appId', p.appId)}${hidden('orderNo', p.orderNo)}${hidden('url', p.url.href)}${hidden('product', p.product)}
<button id="pass" name="outcome" value="pass" type="submit">Pass</button>
<label for="code">Fail code</label> <select id="code" name="code">${options}</select>
<button id="fail" name="outcome" value="fail" type="submit">Fail</button>
<button id="abandon" name="outcome" value="abandon" type="submit">Abandon</button>
<label for="frontend-code">Front-end error</label> <select id="frontend-code" name="frontendCode">${frontendOptions}</select>
<button id="frontend-error" name="outcome" value="frontend_error" type="submit">Front-end error (unsigned redirect)</button></form>`,
      ),
    );
  });

  router.post('/h5/finish', express.urlencoded({ extended: false, limit: '16kb' }), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, string>;
    const p = params(body, deps);
    if (typeof p === 'string')
      return void res
        .status(400)
        .type('html')
        .send(page('Bad request', `<p>${esc(p)}</p>`));
    const outcome = body.outcome;
    if (outcome === 'frontend_error') {
      // The camera or browser failed before any scan: no scan recorded, an unsigned redirect.
      const code = body.frontendCode ?? '';
      if (!(code in FRONTEND_ERRORS))
        return void res.status(400).type('html').send(page('Bad request', '<p>Unknown front-end code.</p>'));
      const target = new URL(p.url.href);
      for (const [k, v] of Object.entries(deps.frontendErrorQuery(p.appId, p.orderNo, code)))
        target.searchParams.set(k, v);
      return void res.redirect(302, target.href);
    }
    if (outcome !== 'pass' && outcome !== 'fail' && outcome !== 'abandon') {
      return void res.status(400).type('html').send(page('Bad request', '<p>Unknown outcome.</p>'));
    }
    const code = outcome === 'fail' && /^[0-9-]{1,12}$/.test(body.code ?? '') ? body.code : undefined;
    deps.createScan({ appId: p.appId, orderNo: p.orderNo, product: p.product, outcome, ...(code && { code }) });
    if (outcome === 'abandon') {
      return void res.type('html').send(page('Verification left', '<h1 id="left">You left the verification</h1>'));
    }
    const target = new URL(p.url.href);
    for (const [k, v] of Object.entries(deps.callbackQuery(p.appId, p.orderNo))) target.searchParams.set(k, v);
    res.redirect(302, target.href);
  });

  return router;
}
