import { startSimulator, type Simulator } from '../../src/simulator';
import { newNonce } from '../../src/shared/webank/signature';
import { h5FaceIdUploadSign, h5LoginSign, uploadSign } from '../../src/shared/webank/start-signature';
import { APP, fetchToken, getJson, type Json } from './helpers';

const userId = 'user0001';

describe('simulator: the start flow (uploads, NONCE tickets, login)', () => {
  let sim: Simulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSimulator({ apps: [APP] });
    token = (await fetchToken(sim)).access_token as string;
  });
  afterAll(async () => sim.close());

  const nonceTicket = async (user = userId, accessToken = token): Promise<Json> =>
    getJson(
      `${sim.url}/api/oauth2/api_ticket?${new URLSearchParams({ appId: APP.appId, access_token: accessToken, type: 'NONCE', version: '1.0.0', user_id: user })}`,
    );
  const upload = async (path: string, orderNo: string, body: Json): Promise<Json> => {
    const res = await fetch(`${sim.url}${path}?orderNo=${orderNo}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  };
  const geth5faceid = (orderNo: string, ticket = sim.currentTicket(APP.appId), extra: Json = {}) => {
    const p = { appId: APP.appId, orderNo, name: '张三', idNo: '11010519900307421X', userId, version: '1.0.0' };
    return upload('/api/server/h5/geth5faceid', orderNo, {
      ...p,
      sign: h5FaceIdUploadSign({ ...p, ticket }),
      ...extra,
    });
  };
  const login = async (q: Record<string, string>) => {
    const res = await fetch(`${sim.url}/api/web/login?${new URLSearchParams(q)}`, { redirect: 'manual' });
    const html = res.status === 200 ? await res.text() : '';
    return { status: res.status, location: res.headers.get('location'), reason: /data-reason="(\w+)"/.exec(html)?.[1] };
  };
  /** A signed login URL's query, as a partner builds it after geth5faceid. */
  const loginQuery = (orderNo: string, h5faceId: string, ticket: string, over: Record<string, string> = {}) => {
    const nonce = newNonce();
    const p = { appId: APP.appId, userId, orderNo, version: '1.0.0', faceId: h5faceId, nonce };
    const base = { webankAppId: APP.appId, version: '1.0.0', nonce, orderNo, h5faceId, userId };
    return {
      ...base,
      url: 'https://partner.example/cb',
      resultType: '1',
      from: 'browser',
      sign: h5LoginSign({ ...p, ticket }),
      ...over,
    };
  };

  test('when a NONCE ticket is asked for with a valid token and user_id, then a fresh one-time ticket of 120 s comes', async () => {
    const a = await nonceTicket();
    const b = await nonceTicket();
    expect(a.code).toBe('0');
    expect(a.tickets[0].expire_in).toBe('120');
    expect(a.tickets[0].value).not.toBe(b.tickets[0].value);
    expect((await nonceTicket(userId, 'not-a-token')).code).toBe('400103');
    expect((await nonceTicket('bad user!')).code).toBe('400102');
  });

  test('when geth5faceid is signed over its 7 values with the SIGN ticket, then an h5faceId and the login domain come', async () => {
    const answer = await geth5faceid('start0001');
    expect(answer).toMatchObject({ code: '0', result: { orderNo: 'start0001', success: true } });
    expect(answer.result.h5faceId).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(answer.result.optimalDomain).toBe(new URL(sim.url).host);
    expect(sim.faceSession(APP.appId, 'start0001')).toMatchObject({ userId, faceId: answer.result.h5faceId });
  });

  test('when an upload’s sign is wrong or made by another rule, then 400101 and no session', async () => {
    expect((await geth5faceid('start0002', 'x'.repeat(64))).code).toBe('400101');
    const nonce = newNonce();
    const fiveValues = uploadSign({
      appId: APP.appId,
      userId,
      version: '1.0.0',
      ticket: sim.currentTicket(APP.appId),
      nonce,
    });
    expect((await geth5faceid('start0003', undefined, { sign: fiveValues, nonce })).code).toBe('400101');
    expect(sim.faceSession(APP.appId, 'start0002')).toBeUndefined();
  });

  test('when getAdvFaceId is signed over its 5 values with the nonce, then a faceId comes; without the nonce, 400102', async () => {
    const nonce = newNonce();
    const sign = uploadSign({
      appId: APP.appId,
      userId,
      version: '1.0.0',
      ticket: sim.currentTicket(APP.appId),
      nonce,
    });
    const body = { appId: APP.appId, orderNo: 'adv0001', userId, version: '1.0.0', sign, nonce };
    const answer = await upload('/api/server/getAdvFaceId', 'adv0001', body);
    expect(answer.code).toBe('0');
    expect(answer.result.faceId).toMatch(/^tx[0-9a-f]{30}$/);
    expect(
      (await upload('/api/server/getAdvFaceId', 'adv0002', { ...body, orderNo: 'adv0002', nonce: undefined })).code,
    ).toBe('400102');
  });

  test('when the login URL is opened, then the browser goes to the scan page; opened again, the used NONCE ticket is refused', async () => {
    const h5faceId = (await geth5faceid('login0001')).result.h5faceId as string;
    const ticket = (await nonceTicket()).tickets[0].value as string;
    const q = loginQuery('login0001', h5faceId, ticket);
    const first = await login(q);
    expect(first.status).toBe(302);
    expect(first.location).toMatch(/^\/h5\/start\?/);
    expect(new URLSearchParams(first.location!.split('?')[1]).get('orderNo')).toBe('login0001');
    expect(await login(q)).toMatchObject({ status: 200, reason: 'used' });
  });

  test('when the login URL is tampered with, then WeBank’s error page, and the ticket is still good for the real URL', async () => {
    const h5faceId = (await geth5faceid('login0002')).result.h5faceId as string;
    const ticket = (await nonceTicket()).tickets[0].value as string;
    const q = loginQuery('login0002', h5faceId, ticket);
    expect(await login({ ...q, sign: q.sign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })).toMatchObject({
      reason: 'sign',
    });
    expect(await login({ ...q, orderNo: 'login0003' })).toMatchObject({ reason: 'session' });
    expect(await login({ ...q, url: 'javascript:alert(1)' })).toMatchObject({ reason: 'url' });
    // Current parameter names work as well as the older ones.
    const { webankAppId, h5faceId: id, ...rest } = q;
    expect((await login({ ...rest, appId: webankAppId, faceId: id })).status).toBe(302);
  });

  test('when the NONCE ticket has expired, then its login is refused as expired', async () => {
    const h5faceId = (await geth5faceid('login0004')).result.h5faceId as string;
    const ticket = (await nonceTicket()).tickets[0].value as string;
    sim.expireNonceTickets(APP.appId);
    expect(await login(loginQuery('login0004', h5faceId, ticket))).toMatchObject({ status: 200, reason: 'expired' });
  });

  test('when a scan follows a started order, then its redirect carries the h5faceId granted at start', () => {
    const granted = sim.faceSession(APP.appId, 'start0001')!.faceId;
    expect(sim.createScan({ appId: APP.appId, orderNo: 'start0001' }).h5faceId).toBe(granted);
    expect(sim.callbackQuery(APP.appId, 'start0001').h5faceId).toBe(granted);
  });
});
