import { newNonce, querySign } from '../../src/shared/webank/signature';
import { type Simulator, startSimulator } from '../../src/simulator';
import { fixture } from '../../src/simulator/media';
import { optionsFromEnv } from '../../src/simulator/main';
import { APP, fetchTicket, fetchToken, type Json, queryUrl, sleep } from './helpers';

/** queryfacerecord (1007/114181), front-end errors (1007/114178), answer codes and the token overlap. */
describe("simulator: today's protocol", () => {
  let sim: Simulator;
  let ticket: string;
  beforeAll(async () => {
    sim = await startSimulator({ apps: [APP] });
    ticket = sim.currentTicket(APP.appId);
  });
  afterAll(() => sim.close());

  async function faceRecord(
    orderNo: string,
    opts: { getFile?: string; ticket?: string; urlOrderNo?: string } = {},
  ): Promise<Json> {
    const nonce = newNonce();
    const body = {
      appId: APP.appId,
      version: '1.0.0',
      nonce,
      orderNo,
      sign: querySign({ appId: APP.appId, orderNo, version: '1.0.0', ticket: opts.ticket ?? ticket, nonce }),
      ...(opts.getFile !== undefined && { getFile: opts.getFile }),
      queryVersion: '1.0',
    };
    const res = await fetch(
      `${sim.url}/api/v2/base/queryfacerecord?orderNo=${encodeURIComponent(opts.urlOrderNo ?? orderNo)}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  }

  test('when queryfacerecord is asked with getFile=1, then it answers the documented fields with photo and video', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'qfr-1' });
    const body = await faceRecord('qfr-1', { getFile: '1' });
    expect(body).toMatchObject({ code: '0', bizSeqNo: expect.stringMatching(/^\d{32}$/) });
    expect(body.result).toMatchObject({
      orderNo: 'qfr-1',
      liveRate: expect.any(String),
      similarity: expect.any(String),
      occurredTime: expect.stringMatching(/^\d{14}$/),
      appId: APP.appId,
      sdkVersion: expect.any(String),
      trtcFlag: expect.any(String),
    });
    expect(body.result).not.toHaveProperty('idNo');
    expect(Buffer.from(body.result.photo, 'base64')).toEqual(fixture('face.jpg'));
    expect(Buffer.from(body.result.video, 'base64')).toEqual(fixture('face.mp4'));
    const rec = sim.requests({ path: '/api/v2/base/queryfacerecord' }).at(-1)!;
    expect(rec).toMatchObject({ method: 'POST', code: '0', ticket: 'current' });
    expect(rec.query.getFile).toBe('1');
  });

  test('when getFile is 2, 3 or absent, then only the photo, only the video, or neither comes', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'qfr-2' });
    const photo = (await faceRecord('qfr-2', { getFile: '2' })).result;
    expect(photo.photo).toBeTruthy();
    expect(photo.video ?? null).toBeNull();
    const video = (await faceRecord('qfr-2', { getFile: '3' })).result;
    expect(video.photo ?? null).toBeNull();
    expect(video.video).toBeTruthy();
    const none = (await faceRecord('qfr-2')).result;
    expect(none.photo ?? null).toBeNull();
    expect(none.video ?? null).toBeNull();
  });

  test('when the sign, the order or the product does not fit, then 400101, 400102 or 66660011', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'qfr-3' });
    expect((await faceRecord('qfr-3', { ticket: 'not-a-ticket' })).code).toBe('400101');
    expect((await faceRecord('qfr-3', { urlOrderNo: 'other' })).code).toBe('400102');
    sim.createScan({ appId: APP.appId, orderNo: 'qfr-ocr', product: 'ocr' });
    expect((await faceRecord('qfr-ocr', { getFile: '1' })).code).toBe('66660011');
    expect((await faceRecord('qfr-unknown')).code).toBe('66660011');
  });

  test('when a test queues answer codes, then the next signed queries answer them, then results again', async () => {
    sim.createScan({ appId: APP.appId, orderNo: 'ac-1' });
    sim.answerQueriesWith('15', 2);
    const first = (await (await fetch(queryUrl(sim, { orderNo: 'ac-1', ticket }))).json()) as Json;
    expect(first).toMatchObject({ code: '15', msg: 'Token 过期,请重试' });
    expect((await faceRecord('ac-1')).code).toBe('15');
    expect(((await (await fetch(queryUrl(sim, { orderNo: 'ac-1', ticket }))).json()) as Json).code).toBe('0');
    const control = await fetch(`${sim.url}/control/answer-codes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: '400101' }),
    });
    expect(control.status).toBe(204);
    expect(((await (await fetch(queryUrl(sim, { orderNo: 'ac-1', ticket }))).json()) as Json).code).toBe('400101');
  });

  test('when the H5 page hits a front-end error, then it redirects with the code and no signature, and records no scan', async () => {
    const q = new URLSearchParams({ appId: APP.appId, orderNo: 'fe-1', url: 'https://partner.example/cb?x=1' });
    const html = await (await fetch(`${sim.url}/h5/start?${q}`)).text();
    expect(html).toContain('id="frontend-error"');
    for (const code of ['3001', '3002', '3003', '3004', '3005', '300101']) expect(html).toContain(`value="${code}"`);
    const res = await fetch(`${sim.url}/h5/finish`, {
      method: 'POST',
      body: new URLSearchParams({
        appId: APP.appId,
        orderNo: 'fe-1',
        url: 'https://partner.example/cb?x=1',
        outcome: 'frontend_error',
        frontendCode: '3003',
      }),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const target = new URL(res.headers.get('location')!);
    expect(target.searchParams.get('code')).toBe('3003');
    expect(target.searchParams.get('orderNo')).toBe('fe-1');
    expect(target.searchParams.get('x')).toBe('1');
    expect(target.searchParams.has('newSign')).toBe(false);
    expect(target.searchParams.has('newSignature')).toBe(false);
    expect(sim.getScan(APP.appId, 'fe-1')).toBeUndefined();
    const control = await fetch(`${sim.url}/control/frontend-error/${APP.appId}/fe-1?code=3004`);
    expect(await control.json()).toEqual({ code: '3004', orderNo: 'fe-1' });
    expect((await fetch(`${sim.url}/control/frontend-error/${APP.appId}/fe-1?code=9999`)).status).toBe(400);
  });

  test('when a new access_token is issued, then by default the old one lives one more minute only', async () => {
    const s2 = await startSimulator({ apps: [APP] });
    const nonceLife = async (token: string) => {
      const q = new URLSearchParams({
        app_id: APP.appId,
        access_token: token,
        type: 'NONCE',
        version: '1.0.0',
        user_id: 'u1',
      });
      const body = (await (await fetch(`${s2.url}/api/oauth2/api_ticket?${q}`)).json()) as Json;
      return Number(body.tickets[0].expire_in);
    };
    try {
      const old = (await fetchToken(s2)).access_token as string;
      expect(await nonceLife(old)).toBeGreaterThan(60); // a NONCE ticket lives 120 s
      const fresh = (await fetchToken(s2)).access_token as string;
      expect(await nonceLife(old)).toBeLessThanOrEqual(60); // bounded by the old token's last minute
      expect(await nonceLife(fresh)).toBeGreaterThan(60);
    } finally {
      await s2.close();
    }
  });

  test('when tokenOverlapMs is false, then older tokens keep their whole life', async () => {
    const off = await startSimulator({ apps: [APP], tokenOverlapMs: false, accessTokenTtlMs: 60_000 });
    try {
      const old = (await fetchToken(off)).access_token as string;
      await fetchToken(off);
      await sleep(50);
      expect((await fetchTicket(off, old)).code).toBe('0');
    } finally {
      await off.close();
    }
  });
});

describe('simulator settings from the environment', () => {
  test('when SIM_LEGACY_SHAPES, SIM_EMPTY_CROP_RATE and SIM_TOKEN_OVERLAP_MS are set, then the options follow', () => {
    const env = { SIM_APPS: 'TIDAx:s' };
    expect(optionsFromEnv(env)).not.toHaveProperty('legacyShapes');
    expect(
      optionsFromEnv({ ...env, SIM_LEGACY_SHAPES: '1', SIM_EMPTY_CROP_RATE: '0.25', SIM_TOKEN_OVERLAP_MS: 'off' }),
    ).toMatchObject({ legacyShapes: true, emptyCropRate: 0.25, tokenOverlapMs: false });
    expect(optionsFromEnv({ ...env, SIM_TOKEN_OVERLAP_MS: '5000' }).tokenOverlapMs).toBe(5000);
  });
});
