import type { SdkStartApi, StartApi, WebankApp } from '../platform/config';
import { newNonce } from './signature';
import { START_VERSION, type FaceIdAnswer, type StartClient } from './start-client';
import { h5FaceIdUploadSign, h5LoginSign, sdkStartSign, uploadSign } from './start-signature';
import type { CurrentToken, HeldToken } from './tickets/current-token';

/**
 * WeBank's start flow, step by step, for H5 and the App SDK (docs/simulator.md, "Start flow"):
 * 1. upload the identity, signed with the SIGN ticket → h5faceId / faceId and `optimalDomain`;
 * 2. take a NONCE ticket for the user with the current access_token (one-time, 120 s);
 * 3. sign the login URL (H5) or the SDK parameters (App) with that NONCE ticket.
 * It only talks to WeBank and signs: the order's record is kept by orders/verification-start.ts.
 */

/** Where each upload lives and what its answer and login call the id. */
const UPLOADS: Record<StartApi | SdkStartApi, { path: string; legacySign: boolean; login: [string, string] }> = {
  // 基础版 H5 (655/32412): 7-value sign, no nonce; the login URL table copied from the docs names
  // `webankAppId` and `h5faceId` (older names the current sign table calls appId / h5faceId).
  geth5faceid: { path: '/api/server/h5/geth5faceid', legacySign: true, login: ['webankAppId', 'h5faceId'] },
  // 增强版 / Plus (1007/114177, 1007/114178): 5-value sign with the nonce the login reuses.
  getAdvFaceId: { path: '/api/server/getAdvFaceId', legacySign: false, login: ['appId', 'faceId'] },
  getPlusFaceId: { path: '/api/server/getPlusFaceId', legacySign: false, login: ['appId', 'faceId'] },
  // 基础版 App SDK (269/10140).
  getfaceid: { path: '/api/server/getfaceid', legacySign: false, login: ['appId', 'faceId'] },
};

/** No access_token is held for the app (the keeper has not fetched one yet): nothing to take a NONCE ticket with. */
export class NoCurrentTokenError extends Error {
  constructor(readonly appId: string) {
    super(`no valid access_token held for app ${appId}`);
    this.name = 'NoCurrentTokenError';
  }
}

export interface StartIdentity {
  orderNo: string;
  userId: string;
  name?: string;
  idNo?: string;
  /** H5 only: "1" = real-time liveness only (no fallback to video recording). */
  liveInterType?: '1';
}

export interface GrantedFaceId extends FaceIdAnswer {
  api: StartApi | SdkStartApi;
  /** The nonce of the upload, reused by the login ("登录时也要用到"). Secret-ish: never log. */
  nonce: string;
  /** The SIGN ticket that signed the upload, to attribute a refusal. Secret: never log. */
  signTicket: string;
}

export interface NonceTicket {
  value: string;
  /** Counted from before the request, so never later than WeBank's own expiry. */
  expiresAt: Date;
  /** The token that took it, to attribute a refusal. Secret: never log. */
  token: HeldToken;
}

export interface WebankStartDeps {
  client: Pick<StartClient, 'uploadIdentity' | 'nonceTicket'>;
  /** The SIGN ticket to sign the upload with (the ticket reader or store). */
  signTicket: { currentTicket(appId: string): Promise<string> };
  token: CurrentToken;
}

/** The credentials a start needs, both held by the keeper: checked before anything is recorded. */
export interface StartCredentials {
  signTicket: string;
  token: HeldToken;
}

export class WebankStart {
  constructor(private readonly deps: WebankStartDeps) {}

  /** The SIGN ticket and access_token held now; throws NoValidTicketError or NoCurrentTokenError. */
  async credentials(appId: string): Promise<StartCredentials> {
    const [signTicket, token] = await Promise.all([
      this.deps.signTicket.currentTicket(appId),
      this.deps.token.get(appId),
    ]);
    if (!token) throw new NoCurrentTokenError(appId);
    return { signTicket, token };
  }

  /** Step 1: the identity upload of the app's flavour, signed with `signTicket`. Throws WebankError & co. */
  async obtainFaceId(
    app: WebankApp,
    api: StartApi | SdkStartApi,
    id: StartIdentity,
    signTicket: string,
  ): Promise<GrantedFaceId> {
    const spec = UPLOADS[api];
    const nonce = newNonce();
    const common = { appId: app.appId, userId: id.userId, version: START_VERSION, ticket: signTicket };
    const sign = spec.legacySign
      ? h5FaceIdUploadSign({ ...common, orderNo: id.orderNo, name: id.name, idNo: id.idNo })
      : uploadSign({ ...common, nonce });
    const body: Record<string, string> = { appId: app.appId, orderNo: id.orderNo };
    if (id.name && id.idNo) Object.assign(body, { name: id.name, idNo: id.idNo });
    Object.assign(body, { userId: id.userId, version: START_VERSION, sign });
    if (!spec.legacySign) body.nonce = nonce;
    if (id.liveInterType) body.liveInterType = id.liveInterType;
    const answer = await this.deps.client.uploadIdentity(app.appId, spec.path, id.orderNo, body);
    return { ...answer, api, nonce, signTicket };
  }

  /** Step 2: a NONCE ticket for the user, with the token the keeper holds; never a new token. */
  async nonceTicket(app: WebankApp, userId: string, token: HeldToken): Promise<NonceTicket> {
    const askedAt = Date.now();
    const t = await this.deps.client.nonceTicket(app.appId, token.value, userId);
    const expiresAt = new Date(Math.min(askedAt + t.expireIn * 1000, token.validUntil.getTime()));
    return { value: t.value, expiresAt, token };
  }

  /**
   * Step 3 (H5): the signed login URL on `optimalDomain` (scheme of the app's base URL), with our
   * callback as `url`, `resultType=1` (straight back to it) and `from=browser`.
   */
  loginUrl(app: WebankApp, granted: GrantedFaceId, nonce: NonceTicket, p: StartLogin): string {
    const [appParam, idParam] = UPLOADS[granted.api].login;
    const sign = h5LoginSign({
      appId: app.appId,
      userId: p.userId,
      orderNo: p.orderNo,
      version: START_VERSION,
      faceId: granted.faceId,
      ticket: nonce.value,
      nonce: granted.nonce,
    });
    const query = new URLSearchParams({
      [appParam]: app.appId,
      version: START_VERSION,
      nonce: granted.nonce,
      orderNo: p.orderNo,
      [idParam]: granted.faceId,
      url: p.callbackUrl,
      resultType: '1',
      userId: p.userId,
      sign,
      from: 'browser',
      redirectType: '1',
    });
    return `${loginOrigin(app, granted.optimalDomain)}/api/web/login?${query.toString()}`;
  }

  /** Step 3 (App SDK): what the App passes to WeBank's SDK (1007/57621), NONCE-signed (1007/75896). */
  sdkParameters(app: WebankApp, granted: GrantedFaceId, nonce: NonceTicket, p: { orderNo: string; userId: string }) {
    const sign = sdkStartSign({
      appId: app.appId,
      userId: p.userId,
      version: START_VERSION,
      ticket: nonce.value,
      nonce: granted.nonce,
    });
    return {
      faceId: granted.faceId,
      orderNo: p.orderNo,
      appId: app.appId,
      version: START_VERSION,
      nonce: granted.nonce,
      userId: p.userId,
      sign,
      ...(app.sdkLicence ? { keyLicence: app.sdkLicence } : {}),
      ...(granted.optimalDomain ? { optimalDomain: validDomain(app, granted.optimalDomain) } : {}),
    };
  }
}

export interface StartLogin {
  orderNo: string;
  userId: string;
  /** Our callback for the app, absolute. */
  callbackUrl: string;
}

/** WeBank's own hosts: a login domain WeBank names must be one of them (or the configured host). */
const WEBANK_DOMAINS = ['qcloud.com', 'tencentcloudapi.com', 'webank.com', 'tencent.com'];
const HOST_PORT =
  /^(?=.{1,253}(?::\d{1,5})?$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;

/**
 * `optimalDomain` as a host we will send users to: syntactically a host[:port], and either the
 * host of the app's base URL or under one of WeBank's domains. Anything else (absent, garbled,
 * a foreign host) falls back to the base URL's host: an answer must not redirect users elsewhere.
 */
export function validDomain(app: WebankApp, domain: string | undefined): string {
  const base = new URL(app.baseUrl);
  if (!domain || !HOST_PORT.test(domain)) return base.host;
  const host = domain.toLowerCase().replace(/:\d+$/, '');
  if (domain.toLowerCase() === base.host.toLowerCase()) return domain;
  return WEBANK_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`)) ? domain : base.host;
}

function loginOrigin(app: WebankApp, domain: string | undefined): string {
  return `${new URL(app.baseUrl).protocol}//${validDomain(app, domain)}`;
}
