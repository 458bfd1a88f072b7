import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { signatureMatches } from '../../shared/webank/signature';
import { h5FaceIdUploadSign, uploadSign } from '../../shared/webank/start-signature';
import { CODES } from '../codes';
import type { FaceSession, FaceSessions, UploadApi } from '../face-sessions';
import { compactTime, digits } from '../format';
import { flatQuery } from '../request-log';
import { sendWebank } from '../respond';
import type { TicketOffice } from '../ticket-office';

const ALNUM32 = /^[A-Za-z0-9]{1,32}$/;
const NONCE = /^[A-Za-z0-9]{32}$/;

const UPLOADS: { path: string; api: UploadApi }[] = [
  { path: '/api/server/h5/geth5faceid', api: 'geth5faceid' },
  { path: '/api/server/getAdvFaceId', api: 'getAdvFaceId' },
  { path: '/api/server/getPlusFaceId', api: 'getPlusFaceId' },
  { path: '/api/server/getfaceid', api: 'getfaceid' },
];

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const envelope = () => ({ bizSeqNo: digits(32), transactionTime: compactTime(Date.now()) });

/**
 * The server side of WeBank's start flow: NONCE tickets (`api_ticket?type=NONCE`, one-time,
 * 120 s, bound to `user_id`; SIGN tickets stay with oauth.ts) and the identity uploads that
 * grant an h5faceId / faceId, each checked as its page documents (docs/simulator.md, "Start flow").
 */
export function startUploadRoutes(office: TicketOffice, sessions: FaceSessions): Router {
  const router = Router();

  router.get('/api/oauth2/api_ticket', (req: Request, res: Response, next: NextFunction) => {
    const q = flatQuery(req.query);
    if (q.type !== 'NONCE') return next();
    const appId = q.appId ?? q.app_id ?? '';
    const userId = q.user_id ?? '';
    if (!appId || !q.access_token || !q.version || !ALNUM32.test(userId)) {
      return sendWebank(res, { ...CODES.badRequest, transactionTime: compactTime(Date.now()) });
    }
    const now = Date.now();
    const got = office.issueNonce(appId, q.access_token, userId);
    if (!got.ok) return sendWebank(res, { ...CODES.badAccessToken, transactionTime: compactTime(now) });
    const expireIn = Math.max(1, Math.floor((got.expiresAt - now) / 1000));
    return sendWebank(res, {
      ...CODES.ok,
      transactionTime: compactTime(now),
      tickets: [{ value: got.ticket, expire_in: String(expireIn), expire_time: compactTime(got.expiresAt) }],
    });
  });

  const json = express.json({ limit: '2mb', type: () => true });
  for (const { path, api } of UPLOADS) {
    router.post(path, json, (req: Request, res: Response) => {
      const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
      const checked = checkUpload(api, body, flatQuery(req.query).orderNo, office);
      if ('refused' in checked) return sendWebank(res, { ...checked.refused, ...envelope() });
      const session = sessions.create({ api, ...checked.session });
      const env = envelope();
      return sendWebank(res, {
        ...CODES.ok,
        bizSeqNo: env.bizSeqNo,
        result: {
          bizSeqNo: env.bizSeqNo,
          transactionTime: env.transactionTime,
          oriCode: '0',
          orderNo: session.orderNo,
          [api === 'geth5faceid' ? 'h5faceId' : 'faceId']: session.faceId,
          // The host the client reached us on: the login goes back to this simulator.
          optimalDomain: req.get('host') ?? '',
          success: true,
        },
        transactionTime: env.transactionTime,
      });
    });
  }
  return router;
}

type Refusal = { code: string; msg: string };

function checkUpload(
  api: UploadApi,
  b: Record<string, unknown>,
  queryOrderNo: string | undefined,
  office: TicketOffice,
): { refused: Refusal } | { session: Omit<FaceSession, 'faceId' | 'createdAt' | 'api'> } {
  const bad = (msg: string) => ({ refused: { ...CODES.badRequest, msg } });
  // Current pages: appId; the older copies of the geth5faceid table: webankAppId.
  const appId = str(b.appId) ?? str(b.webankAppId) ?? '';
  const [orderNo, userId, version, sign] = [str(b.orderNo), str(b.userId), str(b.version), str(b.sign)];
  const [name, idNo, nonce] = [str(b.name) || undefined, str(b.idNo) || undefined, str(b.nonce)];
  if (!office.knowsApp(appId)) return { refused: CODES.badCredentials };
  if (!orderNo || !ALNUM32.test(orderNo)) return bad('orderNo 必须为32位以内的字母和数字');
  if (queryOrderNo !== undefined && queryOrderNo !== orderNo) return bad('url 中的 orderNo 与报文不一致');
  if (!userId || !ALNUM32.test(userId)) return bad('userId 必须为32位以内的字母和数字');
  if (version !== '1.0.0' || !sign) return bad('version 或 sign 缺失');
  if (!!name !== !!idNo) return bad('姓名与证件号须同时上送');
  if (b.sourcePhotoStr !== undefined && !['1', '2'].includes(String(b.sourcePhotoType)))
    return bad('sourcePhotoType 必须为 1 或 2');
  const legacy = api === 'geth5faceid';
  if (!legacy && !NONCE.test(nonce ?? '')) return bad('nonce 必须为32位字母和数字');
  let matched = false;
  for (const t of office.validTickets(appId)) {
    const expected = legacy
      ? h5FaceIdUploadSign({ appId, orderNo, name, idNo, userId, version, ticket: t.value })
      : uploadSign({ appId, userId, version, ticket: t.value, nonce: nonce! });
    if (signatureMatches(sign, expected)) matched = true;
  }
  if (!matched) return { refused: CODES.badSign };
  const liveInterType = str(b.liveInterType);
  return { session: { appId, orderNo, userId, name, idNo, ...(liveInterType && { liveInterType }) } };
}
