import { Router } from 'express';
import { CODES } from '../codes';
import { compactTime } from '../format';
import { flatQuery } from '../request-log';
import { sendWebank } from '../respond';
import type { TicketOffice } from '../ticket-office';

// Whole seconds left, rounded down: a client must never believe a token or ticket outlives its real expiry.
const expireIn = (at: number, now: number) => Math.max(1, Math.floor((at - now) / 1000));

/** `GET /api/oauth2/access_token` and `GET /api/oauth2/api_ticket` (type SIGN). */
export function oauthRoutes(office: TicketOffice): Router {
  const router = Router();

  router.get('/api/oauth2/access_token', async (req, res) => {
    const q = flatQuery(req.query);
    const now = Date.now();
    const envelope = { transactionTime: compactTime(now) };
    const appId = q.app_id ?? q.appId;
    if (!appId || !q.secret || q.grant_type !== 'client_credential' || !q.version) {
      return sendWebank(res, { ...CODES.badRequest, ...envelope });
    }
    const issued = office.issueToken(appId, q.secret);
    if (!issued.ok) return sendWebank(res, { ...CODES.badCredentials, ...envelope });
    return sendWebank(res, {
      ...CODES.ok,
      ...envelope,
      access_token: issued.token,
      expire_time: compactTime(issued.expiresAt),
      expire_in: expireIn(issued.expiresAt, now),
    });
  });

  router.get('/api/oauth2/api_ticket', async (req, res) => {
    const q = flatQuery(req.query);
    const now = Date.now();
    const envelope = { transactionTime: compactTime(now) };
    const appId = q.app_id ?? q.appId;
    if (!appId || !q.access_token || q.type !== 'SIGN' || !q.version) {
      return sendWebank(res, { ...CODES.badRequest, ...envelope });
    }
    const got = office.ticketFor(appId, q.access_token);
    if (!got.ok) return sendWebank(res, { ...CODES.badAccessToken, ...envelope });
    return sendWebank(res, {
      ...CODES.ok,
      ...envelope,
      tickets: [
        { value: got.ticket, expire_in: expireIn(got.expiresAt, now), expire_time: compactTime(got.expiresAt) },
      ],
    });
  });

  return router;
}
