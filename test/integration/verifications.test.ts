import { createApiToken } from '../../src/shared/compliance/staff/api-tokens';
import { loadOrderRecord } from '../../src/shared/compliance/order-record';
import { orderView } from '../../src/shared/compliance/order-view';
import { dataKey, open } from '../../src/shared/platform/sealed';
import { h5LoginSign, sdkStartSign } from '../../src/shared/webank/start-signature';
import { TicketKeeper } from '../../src/shared/webank/tickets/keeper';
import { captureLogs } from '../support/log-capture';
import { eventually, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

const NAME = '李小龙';
const ID_NO = '11010519491231002X';

interface Started {
  orderNo: string;
  h5faceId: string;
  url: string;
  expiresAt: string;
}

describe('POST /api/verifications: the service starts verifications', () => {
  let p: Pipeline;
  let keeper: TicketKeeper;
  let token: string;
  let otherAppToken: string;

  beforeAll(async () => {
    // Workers (with their fast recovery sweeper) start only for the tests about abandoned orders;
    // until then a keeper of our own holds the credentials, as the workers' would.
    p = await startPipeline({
      workers: false,
      env: {
        RECOVERY_INTERVAL_MS: '100',
        RECOVERY_QUIET_MINUTES: String(1 / 60), // 1 s
        RECOVERY_WINDOW_HOURS: String(4 / 3600), // 4 s
        START_REDIRECT_ORIGINS: 'https://shop.example.com',
        WEBANK_SDK_LICENCE: 'licence-from-console',
      },
      extraApps: [{ key: 'other', product: 'faceid' }],
    });
    keeper = new TicketKeeper({ db: p.web.db, redis: p.web.redis, config: p.cfg });
    await keeper.start();
    token = (await createApiToken(p.web.db, p.cfg, { kind: 'partner', name: uid('backend'), appKey: 'default' })).token;
    otherAppToken = (await createApiToken(p.web.db, p.cfg, { kind: 'partner', name: uid('b'), appKey: 'other' })).token;
  });
  afterAll(async () => {
    await keeper?.stop();
    await p?.close();
  });

  const post = (path: string, body: unknown, bearer = token) =>
    fetch(`${p.web.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
  const order = (orderNo: string) =>
    p.web.db.order.findUniqueOrThrow({
      where: { appId_orderNo: { appId: p.appId, orderNo } },
      include: { timeline: { orderBy: { id: 'asc' } } },
    });

  test('when a partner starts one with its token alone, then it gets a signed WeBank login URL and the order is registered with its steps', async () => {
    const logs = captureLogs();
    let res: Response;
    try {
      res = await post('/api/verifications', { userId: 'user42', name: NAME, idNo: ID_NO });
    } finally {
      logs.stop();
    }
    expect(res.status).toBe(201);
    const body = (await res.json()) as Started;
    expect(body.orderNo).toMatch(/^[A-Za-z0-9]{32}$/);
    const url = new URL(body.url);
    expect(url.origin).toBe(p.sim.url);
    expect(url.pathname).toBe('/api/web/login');
    const q = url.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      webankAppId: p.appId,
      orderNo: body.orderNo,
      h5faceId: body.h5faceId,
      userId: 'user42',
      version: '1.0.0',
      resultType: '1',
      from: 'browser',
      url: `${p.web.url}${p.cfg.CALLBACK_PATH}/default`,
    });
    // The sign is the documented login sign over the NONCE ticket WeBank issued for this user.
    const [nonceTicket] = p.sim.nonceTickets(p.appId, 'user42');
    const expected = h5LoginSign({
      appId: p.appId,
      userId: 'user42',
      orderNo: body.orderNo,
      version: '1.0.0',
      faceId: body.h5faceId,
      ticket: nonceTicket!.value,
      nonce: q.get('nonce')!,
    });
    expect(q.get('sign')).toBe(expected);
    expect(new Date(body.expiresAt).getTime()).toBeLessThanOrEqual(nonceTicket!.expiresAt.getTime());

    const o = await order(body.orderNo);
    expect(o).toMatchObject({ status: 'EXPECTED', source: 'REGISTRATION', userRef: 'user42', h5faceId: body.h5faceId });
    expect(o.nextSweepAt).not.toBeNull();
    const key = dataKey(p.cfg.DATA_ENCRYPTION_KEY);
    expect(open(o.nameSealed!, key)).toBe(NAME);
    expect(open(o.idNoSealed!, key)).toBe(ID_NO);
    expect(o.timeline.map((e) => e.type)).toEqual([
      'start_requested',
      'start_faceid',
      'start_nonce_ticket',
      'start_url_issued',
    ]);
    expect(o.timeline[1]!.detail).toMatchObject({ api: 'geth5faceid', code: '0' });
    // WeBank got the identity; no log line and no timeline line did.
    expect(p.sim.faceSession(p.appId, body.orderNo)).toMatchObject({ name: NAME, idNo: ID_NO });
    const written = [...logs.lines, JSON.stringify(o.timeline.map((e) => e.detail))].join('\n');
    expect(written).not.toContain(ID_NO);
    expect(written).not.toContain(NAME);
  });

  test('when the App SDK is started, then the App gets the faceId and a NONCE-signed sign, and the licence', async () => {
    const res = await post('/api/verifications/app-sdk', { userId: 'app7', orderNo: 'sdk' + uid() });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, string>;
    expect(body).toMatchObject({
      appId: p.appId,
      userId: 'app7',
      version: '1.0.0',
      keyLicence: 'licence-from-console',
    });
    expect(body.faceId).toMatch(/^tx/); // getAdvFaceId by default
    const [nonceTicket] = p.sim.nonceTickets(p.appId, 'app7');
    const sign = sdkStartSign({
      appId: p.appId,
      userId: 'app7',
      version: '1.0.0',
      ticket: nonceTicket!.value,
      nonce: body.nonce!,
    });
    expect(body.sign).toBe(sign);
    expect((await order(body.orderNo!)).timeline.at(-1)!.type).toBe('start_sdk_issued');
  });

  test('when the orderNo is already known, then 409 and WeBank is not asked', async () => {
    const orderNo = 'dup' + uid();
    expect((await post('/api/verifications', { userId: 'u1', orderNo })).status).toBe(201);
    const uploads = p.sim.requests({ path: '/api/server/h5/geth5faceid' }).length;
    const again = await post('/api/verifications', { userId: 'u1', orderNo });
    expect(again.status).toBe(409);
    expect(p.sim.requests({ path: '/api/server/h5/geth5faceid' })).toHaveLength(uploads);
  });

  test.each([
    ['a userId with special characters', { userId: 'user-42!' }, /userId/],
    ['a name without its ID number', { userId: 'u1', name: NAME }, /name and idNo/],
    ['an ID number with control characters', { userId: 'u1', name: NAME, idNo: '1101\u0000' }, /idNo/],
    ['a redirect to a foreign origin', { userId: 'u1', redirectUrl: 'https://evil.example/x' }, /redirectUrl/],
    ['an unknown field', { userId: 'u1', secret: 'x' }, /secret|unrecognized/i],
  ])('when the body has %s, then 400 and no order', async (_what, body, problem) => {
    const before = await p.web.db.order.count({ where: { appId: p.appId } });
    const res = await post('/api/verifications', body);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toMatch(problem);
    expect(text).not.toContain(NAME);
    expect(await p.web.db.order.count({ where: { appId: p.appId } })).toBe(before);
  });

  test('when the token is for another app, or missing, then 403 / 401', async () => {
    expect((await post('/api/verifications', { userId: 'u1' }, otherAppToken)).status).toBe(403);
    expect((await post('/api/verifications', { userId: 'u1' }, '')).status).toBe(401);
  });

  test('when the partner asked for its own result page, then the browser lands there after the result is recorded', async () => {
    const redirectUrl = 'https://shop.example.com/kyc/done?cart=7';
    const res = await post('/api/verifications', { userId: 'u9', redirectUrl });
    const { url } = (await res.json()) as Started;
    const location = await followStart(p, url);
    expect(location.startsWith('https://shop.example.com/kyc/done?cart=7&orderNo=')).toBe(true);
  });

  test('when the user closes the browser before any redirect, then the sweeper expires the started order, and the console shows why', async () => {
    await p.startWorkers();
    const { orderNo } = (await (await post('/api/verifications', { userId: 'gone1' })).json()) as Started;
    const expired = await eventually(async () => {
      const o = await order(orderNo);
      return o.status === 'EXPIRED' ? o : undefined;
    }, 15_000);
    const view = orderView(p.cfg, await loadOrderRecord(p.web.db, expired.id));
    expect(view.status).toBe('EXPIRED');
    expect(view.timeline.map((t) => t.type)).toEqual(
      // (`recovery_not_yet` lines come between when the sweeper looked before the window closed.)
      expect.arrayContaining(['start_requested', 'start_url_issued', 'expired_without_result']),
    );
  });

  test('when the user scanned but the redirect never came, then the sweeper recovers the started order and archives it', async () => {
    const { orderNo, h5faceId } = (await (await post('/api/verifications', { userId: 'gone2' })).json()) as Started;
    p.sim.createScan({ appId: p.appId, orderNo, outcome: 'pass' });
    const done = await eventually(async () => {
      const o = await order(orderNo);
      return o.status === 'ARCHIVED' ? o : undefined;
    }, 15_000);
    expect(done.recoveredAt).not.toBeNull();
    expect(done.h5faceId).toBe(h5faceId);

    // Later, the partner retrieves how it ended, with the same token and nothing else.
    const got = await fetch(`${p.web.url}/api/verifications/${orderNo}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(got.status).toBe(200);
    const summary = (await got.json()) as { outcome: string; code: string; evidence: { kind: string }[] };
    expect(summary).toMatchObject({ orderNo, status: 'ARCHIVED', outcome: 'verified', code: '0', h5faceId });
    expect(summary.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    expect(JSON.stringify(summary)).not.toMatch(/idNo|name/i);
    const foreign = await fetch(`${p.web.url}/api/verifications/${orderNo}?appKey=default`, {
      headers: { authorization: `Bearer ${otherAppToken}` },
    });
    expect(foreign.status).toBe(403);
    const unknown = await fetch(`${p.web.url}/api/verifications/nosuch${uid()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(unknown.status).toBe(404);
  });
});

/** The browser's part without a browser: login, the scan page's Pass, the redirect to our callback. */
async function followStart(p: Pipeline, url: string): Promise<string> {
  const login = await fetch(url, { redirect: 'manual' });
  expect(login.status).toBe(302);
  const scan = new URL(login.headers.get('location')!, p.sim.url);
  const finish = await fetch(`${p.sim.url}/h5/finish`, {
    method: 'POST',
    body: new URLSearchParams({ ...Object.fromEntries(scan.searchParams), outcome: 'pass' }),
    redirect: 'manual',
  });
  const callback = await fetch(finish.headers.get('location')!, { redirect: 'manual' });
  expect(callback.status).toBe(302);
  return callback.headers.get('location')!;
}
