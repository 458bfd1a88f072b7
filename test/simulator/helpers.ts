import { newNonce, querySign } from '../../src/shared/webank/signature';
import type { Simulator } from '../../src/simulator';

export const APP = { appId: 'TIDAsim0001', secret: 'sim-secret-0001' };
export const APP2 = { appId: 'TIDAsim0002', secret: 'sim-secret-0002' };

export type Json = Record<string, any>;

export async function getJson(url: string): Promise<Json> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

export async function fetchToken(sim: Simulator, app = APP): Promise<Json> {
  const q = new URLSearchParams({
    app_id: app.appId,
    secret: app.secret,
    grant_type: 'client_credential',
    version: '1.0.0',
  });
  return getJson(`${sim.url}/api/oauth2/access_token?${q}`);
}

export async function fetchTicket(sim: Simulator, accessToken: string, app = APP): Promise<Json> {
  const q = new URLSearchParams({ app_id: app.appId, access_token: accessToken, type: 'SIGN', version: '1.0.0' });
  return getJson(`${sim.url}/api/oauth2/api_ticket?${q}`);
}

/** The URL of a signed result query, signed with `ticket` as a partner would. */
export function queryUrl(
  sim: Simulator,
  p: {
    path?: string;
    appId?: string;
    orderNo: string;
    ticket: string;
    getFile?: string;
    nonce?: string;
    version?: string;
  },
): string {
  const appId = p.appId ?? APP.appId;
  const version = p.version ?? '1.0.0';
  const nonce = p.nonce ?? newNonce();
  const sign = querySign({ appId, orderNo: p.orderNo, version, ticket: p.ticket, nonce });
  const q = new URLSearchParams({
    app_id: appId,
    version,
    nonce,
    order_no: p.orderNo,
    sign,
    get_file: p.getFile ?? '1',
  });
  return `${sim.url}${p.path ?? '/api/server/sync'}?${q}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
