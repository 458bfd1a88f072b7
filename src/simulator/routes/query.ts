import { type Request, type Response, Router } from 'express';
import { querySign, signatureMatches } from '../../shared/webank/signature';
import { CODES } from '../codes';
import { compactTime, digits } from '../format';
import { flatQuery } from '../request-log';
import { sendWebank } from '../respond';
import { liveResult, ocrResult, syncResult } from '../results';
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
export function queryRoutes(office: TicketOffice, scans: ScanBook): Router {
  const router = Router();
  for (const endpoint of ENDPOINTS) {
    router.get(endpoint.path, (req: Request, res: Response) => {
      const q = flatQuery(req.query);
      const envelope = { bizSeqNo: digits(32), transactionTime: compactTime(Date.now()) };
      const appId = q.app_id ?? q.appId ?? '';
      const orderNo = q.order_no ?? q.orderNo ?? '';
      const { version = '', nonce = '', sign = '' } = q;
      if (!appId || !orderNo || !version || !sign) {
        return sendWebank(res, { ...CODES.badRequest, ...envelope });
      }
      if (!NONCE.test(nonce))
        return sendWebank(res, { ...CODES.badRequest, msg: 'nonce 必须为32位字母和数字', ...envelope });
      if (!office.knowsApp(appId)) return sendWebank(res, { ...CODES.badCredentials, ...envelope });
      let matched: 'current' | 'previous' | undefined;
      for (const t of office.validTickets(appId)) {
        const ok = signatureMatches(sign, querySign({ appId, orderNo, version, ticket: t.value, nonce }));
        if (ok && !matched) matched = t.label;
      }
      if (!matched) return sendWebank(res, { ...CODES.badSign, ...envelope });
      (res.locals.record as RequestRecord).ticket = matched;
      const scan = scans.get(appId, orderNo);
      if (!scan || scan.product !== endpoint.product || !scans.hasResult(scan)) {
        return sendWebank(res, { ...CODES.noResult, ...envelope, result: null });
      }
      const built = endpoint.build(scan, q.get_file, scans.filesReady(scan), scans.media(appId, orderNo));
      return sendWebank(res, { code: built.code, msg: built.msg, ...envelope, result: built.result }, built.media);
    });
  }
  return router;
}
