import express, { type Request, type Response, Router } from 'express';
import { querySign, signatureMatches } from '../../shared/webank/signature';
import { CODES } from '../codes';
import { compactTime, digits } from '../format';
import { flatQuery } from '../request-log';
import { sendWebank } from '../respond';
import { faceRecordResult, liveResult, ocrResult, syncResult, type Shapes } from '../results';
import type { ScanBook } from '../scan-book';
import type { TicketOffice } from '../ticket-office';
import type { RequestRecord, SimProduct } from '../types';

const NONCE = /^[A-Za-z0-9]{32}$/;

const ENDPOINTS: { path: string; product: SimProduct; build: typeof syncResult }[] = [
  { path: '/api/server/sync', product: 'faceid', build: syncResult },
  { path: '/api/server/getLiveResult', product: 'liveness', build: liveResult },
  { path: '/api/server/getOcrResult', product: 'ocr', build: ocrResult },
];

/**
 * The three result queries. Each checks the parameters, the nonce shape and the sign against every
 * ticket the simulator considers valid, then answers the scan of its product (or 66660011).
 */
/**
 * Codes the next signed queries answer instead of their result (`answerQueriesWith`): a test's way
 * to make WeBank say "Token 过期" (15) or any other code it documents, without faking a sign.
 */
export class ForcedAnswers {
  private queue: { code: string; msg?: string }[] = [];

  push(code: string, times: number, msg?: string): void {
    for (let i = 0; i < times; i++) this.queue.push({ code, ...(msg !== undefined && { msg }) });
  }

  take(): { code: string; msg?: string } | undefined {
    return this.queue.shift();
  }

  clear(): void {
    this.queue = [];
  }
}

const FORCED_MESSAGES: Record<string, string> = { '15': 'Token 过期,请重试' };

export function queryRoutes(
  office: TicketOffice,
  scans: ScanBook,
  shapes: Shapes = 'current',
  forced: ForcedAnswers = new ForcedAnswers(),
): Router {
  const router = Router();

  /** Checks the parameters and the sign; undefined once it has answered the refusal itself. */
  const verified = (res: Response, q: Record<string, string>, envelope: Record<string, string>) => {
    const appId = q.app_id ?? q.appId ?? '';
    const orderNo = q.order_no ?? q.orderNo ?? '';
    const { version = '', nonce = '', sign = '' } = q;
    if (!appId || !orderNo || !version || !sign) return void sendWebank(res, { ...CODES.badRequest, ...envelope });
    if (!NONCE.test(nonce))
      return void sendWebank(res, { ...CODES.badRequest, msg: 'nonce 必须为32位字母和数字', ...envelope });
    if (!office.knowsApp(appId)) return void sendWebank(res, { ...CODES.badCredentials, ...envelope });
    let matched: 'current' | 'previous' | undefined;
    for (const t of office.validTickets(appId)) {
      const ok = signatureMatches(sign, querySign({ appId, orderNo, version, ticket: t.value, nonce }));
      if (ok && !matched) matched = t.label;
    }
    if (!matched) return void sendWebank(res, { ...CODES.badSign, ...envelope });
    (res.locals.record as RequestRecord).ticket = matched;
    const f = forced.take();
    if (f !== undefined)
      return void sendWebank(res, {
        code: f.code,
        msg: f.msg ?? FORCED_MESSAGES[f.code] ?? '模拟的返回码',
        ...envelope,
        result: null,
      });
    return { appId, orderNo };
  };

  for (const endpoint of ENDPOINTS) {
    router.get(endpoint.path, (req: Request, res: Response) => {
      const q = flatQuery(req.query);
      const envelope = { bizSeqNo: digits(32), transactionTime: compactTime(Date.now()) };
      const ok = verified(res, q, envelope);
      if (!ok) return;
      const { appId, orderNo } = ok;
      const scan = scans.get(appId, orderNo);
      if (!scan || scan.product !== endpoint.product || !scans.hasResult(scan)) {
        return sendWebank(res, { ...CODES.noResult, ...envelope, result: null });
      }
      const built = endpoint.build(scan, q.get_file, scans.filesReady(scan), scans.media(appId, orderNo), shapes);
      return sendWebank(res, { code: built.code, msg: built.msg, ...envelope, result: built.result }, built.media);
    });
  }

  // 1007/114181 人脸核身结果查询接口(升级): POST ?orderNo=… with a JSON body
  // {appId, version, nonce, orderNo, sign, getFile, queryVersion}; answers faceid and liveness scans.
  router.post(
    '/api/v2/base/queryfacerecord',
    express.json({ limit: '16kb', type: () => true }),
    (req: Request, res: Response) => {
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const q: Record<string, string> = {};
      for (const k of ['appId', 'version', 'nonce', 'orderNo', 'sign', 'getFile', 'queryVersion'])
        if (typeof body[k] === 'string') q[k] = body[k];
      (res.locals.record as RequestRecord).query = { ...flatQuery(req.query), ...q };
      const envelope = { bizSeqNo: digits(32), transactionTime: compactTime(Date.now()) };
      const urlOrderNo = flatQuery(req.query).orderNo;
      if (urlOrderNo !== undefined && urlOrderNo !== q.orderNo)
        return sendWebank(res, { ...CODES.badRequest, msg: 'orderNo 不一致', ...envelope });
      const ok = verified(res, q, envelope);
      if (!ok) return;
      const { appId, orderNo } = ok;
      const scan = scans.get(appId, orderNo);
      if (!scan || scan.product === 'ocr' || !scans.hasResult(scan)) {
        return sendWebank(res, { ...CODES.noResult, ...envelope, result: null });
      }
      const built = faceRecordResult(scan, q.getFile, scans.filesReady(scan), scans.media(appId, orderNo), shapes);
      return sendWebank(res, { code: built.code, msg: built.msg, ...envelope, result: built.result }, built.media);
    },
  );
  return router;
}
