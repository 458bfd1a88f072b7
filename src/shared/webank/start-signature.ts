import { webankSign } from './signature';

/**
 * The signs of WeBank's start flow, one per step, each the values sorted, joined, SHA-1,
 * upper-case hex (`webankSign`). Which ticket signs what is the whole difference, so each
 * function names its ticket type. Sources and test vectors: docs/simulator.md, "Start flow".
 */

/**
 * Identity upload of the current pages (`getAdvFaceId`, `getPlusFaceId`, App SDK `getfaceid`):
 * appId, userId, version, SIGN ticket and the 32-character nonce the login will use too
 * (1007/114177, 1007/114144, 269/10140).
 */
export function uploadSign(p: { appId: string; userId: string; version: string; ticket: string; nonce: string }) {
  return webankSign([p.appId, p.userId, p.version, p.ticket, p.nonce]);
}

/**
 * Identity upload of `geth5faceid` (655/32412, 1007/35893): appId, orderNo, name, idNo, userId,
 * version and the SIGN ticket; no nonce. name and idNo are left out when not sent (自带源比对),
 * as "the signed data must equal the request's parameters": an empty value adds nothing to the
 * joined string, so signing it as '' is leaving it out.
 */
export function h5FaceIdUploadSign(p: {
  appId: string;
  orderNo: string;
  name?: string;
  idNo?: string;
  userId: string;
  version: string;
  ticket: string;
}) {
  return webankSign([p.appId, p.orderNo, p.name ?? '', p.idNo ?? '', p.userId, p.version, p.ticket]);
}

/**
 * The H5 login URL (`/api/web/login`): appId, userId, orderNo, version, faceId (h5faceId),
 * NONCE ticket and nonce (1007/114178, 655/32413).
 */
export function h5LoginSign(p: {
  appId: string;
  userId: string;
  orderNo: string;
  version: string;
  faceId: string;
  ticket: string;
  nonce: string;
}) {
  return webankSign([p.appId, p.userId, p.orderNo, p.version, p.faceId, p.ticket, p.nonce]);
}

/** The App SDK start: appId, userId, version, NONCE ticket and nonce (1007/75896, 1007/57621). */
export function sdkStartSign(p: { appId: string; userId: string; version: string; ticket: string; nonce: string }) {
  return webankSign([p.appId, p.userId, p.version, p.ticket, p.nonce]);
}
