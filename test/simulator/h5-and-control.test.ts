import { verifyCallback } from '../../src/shared/webank/signature';
import { type Simulator, startSimulator } from '../../src/simulator';
import { APP, getJson, queryUrl } from './helpers';

const RETURN = 'https://partner.example/webank/callback/default?keep=1';

describe('simulator: H5 page and control API', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ apps: [APP] });
  });
  afterAll(() => sim.close());

  const finish = (fields: Record<string, string>) =>
    fetch(`${sim.url}/h5/finish`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });

  test('when the H5 page opens, then it shows the pass, fail and abandon buttons and a fail code choice', async () => {
    const q = new URLSearchParams({ appId: APP.appId, orderNo: 'order-h5-0', url: RETURN });
    const res = await fetch(`${sim.url}/h5/start?${q}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const id of ['pass', 'fail', 'abandon', 'code']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('action="/h5/finish"');
  });

  test.each(['javascript:alert(1)', 'ftp://x/y', 'not a url', ''])(
    'when url is %p, then the page refuses it',
    async (url) => {
      const q = new URLSearchParams({ appId: APP.appId, orderNo: 'order-h5-bad', url });
      expect((await fetch(`${sim.url}/h5/start?${q}`)).status).toBe(400);
      expect((await finish({ appId: APP.appId, orderNo: 'order-h5-bad', url, outcome: 'pass' })).status).toBe(400);
      expect(sim.getScan(APP.appId, 'order-h5-bad')).toBeUndefined();
    },
  );

  test('when the user passes, then the browser is redirected with a signature our verifier accepts', async () => {
    const res = await finish({ appId: APP.appId, orderNo: 'order-h5-1', url: RETURN, outcome: 'pass' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location') ?? '');
    expect(to.origin + to.pathname).toBe('https://partner.example/webank/callback/default');
    const p = Object.fromEntries(to.searchParams);
    const scan = sim.getScan(APP.appId, 'order-h5-1');
    expect(p).toMatchObject({ keep: '1', code: '0', orderNo: 'order-h5-1', h5faceId: scan?.h5faceId });
    expect(p.newSign).toBe(p.newSignature);
    const matched = verifyCallback({ appId: APP.appId, orderNo: 'order-h5-1', code: '0', signature: p.newSignature! }, [
      { value: sim.currentTicket(APP.appId), label: 'current' },
    ]);
    expect(matched?.label).toBe('current');
  });

  test('when the user fails with a chosen code, then the redirect and the query carry that code', async () => {
    const res = await finish({
      appId: APP.appId,
      orderNo: 'order-h5-2',
      url: RETURN,
      outcome: 'fail',
      code: '66660018',
    });
    const p = Object.fromEntries(new URL(res.headers.get('location') ?? '').searchParams);
    expect(p.code).toBe('66660018');
    expect(sim.getScan(APP.appId, 'order-h5-2')?.outcome).toBe('fail');
    const body = await getJson(queryUrl(sim, { orderNo: 'order-h5-2', ticket: sim.currentTicket(APP.appId) }));
    expect(body.code).toBe('66660018');
  });

  test('when the user abandons, then no redirect, a "left" page, and queries answer 66660011', async () => {
    const res = await finish({ appId: APP.appId, orderNo: 'order-h5-3', url: RETURN, outcome: 'abandon' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You left the verification');
    expect(sim.getScan(APP.appId, 'order-h5-3')?.outcome).toBe('abandon');
    expect((await getJson(queryUrl(sim, { orderNo: 'order-h5-3', ticket: sim.currentTicket(APP.appId) }))).code).toBe(
      '66660011',
    );
  });

  test('when scans are created over /control, then they answer queries and carry their callback', async () => {
    const res = await fetch(`${sim.url}/control/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        appId: APP.appId,
        orderNo: 'order-ctl-1',
        outcome: 'fail',
        code: '66660023',
        finishedAt: new Date().toISOString(),
      }),
    });
    expect(res.status).toBe(201);
    const scan = (await res.json()) as Record<string, any>;
    expect(scan).toMatchObject({
      orderNo: 'order-ctl-1',
      code: '66660023',
      callback: { code: '66660023', orderNo: 'order-ctl-1' },
    });
    expect((await getJson(`${sim.url}/control/scans/${APP.appId}/order-ctl-1`)).h5faceId).toBe(scan.h5faceId);
    const bad = await fetch(`${sim.url}/control/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"appId":"nobody","orderNo":"x"}',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown appId/);
  });

  test('when faults are set over /control, then they apply until deleted', async () => {
    const set = await fetch(`${sim.url}/control/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"http5xxRate":1}',
    });
    expect(((await set.json()) as { http5xxRate: number }).http5xxRate).toBe(1);
    expect((await fetch(`${sim.url}/api/oauth2/access_token`)).status).toBe(503);
    const bad = await fetch(`${sim.url}/control/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resetRate":3}',
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${sim.url}/control/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${sim.url}/api/oauth2/access_token`)).status).toBe(200);
  });

  test('when requests are listed over /control, then each shows path, query, status and code', async () => {
    await fetch(`${sim.url}/control/requests`, { method: 'DELETE' });
    sim.createScan({ appId: APP.appId, orderNo: 'order-ctl-2' });
    await getJson(queryUrl(sim, { orderNo: 'order-ctl-2', ticket: sim.currentTicket(APP.appId) }));
    await getJson(queryUrl(sim, { orderNo: 'order-ctl-2', ticket: sim.currentTicket(APP.appId) }));
    const list = (await getJson(`${sim.url}/control/requests?path=/api/server/sync`)) as unknown as Record<
      string,
      any
    >[];
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      method: 'GET',
      path: '/api/server/sync',
      status: 200,
      code: '0',
      ticket: 'current',
    });
    expect(list[0]!.query.nonce).not.toBe(list[1]!.query.nonce);
    expect(sim.requests({ path: '/api/server/sync' })[0]!.at).toBeInstanceOf(Date);
  });

  test('when tickets are rotated over /control, then the old one is still listed as valid, the new one current', async () => {
    const before = await getJson(`${sim.url}/control/tickets/${APP.appId}`);
    expect(
      (
        await fetch(`${sim.url}/control/rotate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ appId: APP.appId }),
        })
      ).status,
    ).toBe(204);
    const after = await getJson(`${sim.url}/control/tickets/${APP.appId}`);
    expect(after.current).not.toBe(before.current);
    expect(after.valid).toEqual([
      { value: after.current, label: 'current' },
      { value: before.current, label: 'previous' },
    ]);
    expect((await fetch(`${sim.url}/control/rotate`, { method: 'POST' })).status).toBe(204);
    expect((await fetch(`${sim.url}/control/tickets/nobody`)).status).toBe(404);
  });
});
