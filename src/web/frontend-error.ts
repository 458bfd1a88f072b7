import type { Request, Response } from 'express';
import type { WebankApp } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { componentLogger } from '../shared/platform/logger';
import { recordRejectedCallback } from '../shared/orders/callback-results';
import { noteFrontendError } from '../shared/orders/early-lookup';
import { FRONTEND_ERROR_CODES } from '../shared/webank/result-codes';
import { recordableParams } from './callback-params';
import { renderResultPage } from './result-page';

const log = componentLogger('frontend-error');

const ORDER_NO = /^[A-Za-z0-9]{1,32}$/;

export interface FrontendError {
  code: string;
  /** Only when well-formed: a malformed one is not looked up (it still gets the page). */
  orderNo?: string;
  params: Record<string, string>;
}

/**
 * A redirect from WeBank's H5 page that carries a documented front-end code (3001–3005, 300101:
 * 1007/114178) and no signature: the camera or browser failed before any scan. Anything else,
 * signed or not, is for the callback's own checks.
 */
export function readFrontendError(query: Record<string, unknown>): FrontendError | undefined {
  const code = query.code;
  if (typeof code !== 'string' || !FRONTEND_ERROR_CODES.has(code)) return undefined;
  if (query.newSignature !== undefined || query.newSign !== undefined) return undefined;
  const orderNo = typeof query.orderNo === 'string' && ORDER_NO.test(query.orderNo) ? query.orderNo : undefined;
  return { code, ...(orderNo && { orderNo }), params: recordableParams(query) };
}

/**
 * Answers a front-end error: a page telling the user what happened and to try again (never the
 * 400 of an invalid request), its own callback event (`frontend_error`, with the code; never
 * trusted as a result), and for an order we know, one early authoritative lookup.
 */
export async function answerFrontendError(
  db: Db,
  app: WebankApp,
  fe: FrontendError,
  req: Request,
  res: Response,
): Promise<string> {
  const info = FRONTEND_ERROR_CODES.get(fe.code)!;
  await recordRejectedCallback(db, {
    channel: 'redirect',
    appId: app.appId,
    orderNo: fe.orderNo,
    code: fe.code,
    verdict: 'frontend_error',
    reason: `front-end error ${fe.code}: ${info.en}`,
    params: fe.params,
    clientIp: req.ip,
    userAgent: req.get('user-agent')?.slice(0, 256),
  });
  const lookup = fe.orderNo ? await noteFrontendError(db, app.appId, fe.orderNo, fe.code) : 'unknown';
  log.info('front-end error from the H5 page', { appId: app.appId, orderNo: fe.orderNo, code: fe.code, lookup });
  renderResultPage(
    res,
    200,
    '人脸核身未完成 / Verification not completed',
    `${info.zh}，${info.adviceZh}。 ${info.en}. ${info.adviceEn}. (${fe.code})`,
  );
  return 'frontend_error';
}
