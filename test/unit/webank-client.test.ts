import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebankClient } from '../../src/shared/webank/client';
import {
  isRetryable,
  isSignatureRejection,
  WebankError,
  WebankHttpError,
  WebankNetworkError,
  WebankProtocolError,
  WebankTimeoutError,
} from '../../src/shared/webank/errors';
import { startSimulator, type Simulator } from '../../src/simulator';

const appId = `TIDA${randomBytes(4).toString('hex')}`;
const secret = `s-${randomBytes(12).toString('hex')}`;
let sim: Simulator;
let client: WebankClient;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, apps: [{ appId, secret }], seed: 7 });
  client = new WebankClient({ apps: [{ appId, baseUrl: sim.url }], timeoutMs: 400 });
});

afterAll(async () => {
  client.close();
  await sim.close();
});

afterEach(() => sim.clearFaults());

async function ticket(): Promise<string> {
  const { accessToken } = await client.getAccessToken(appId, secret);
  return (await client.getSignTicket(appId, accessToken)).value;
}

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('WebankClient against the simulator', () => {
  test('when credentials are right, then it returns an access_token and the SIGN ticket with expire_in in seconds', async () => {
    const { accessToken, expireIn } = await client.getAccessToken(appId, secret);
    expect(accessToken).toMatch(/.{20,}/);
    expect(expireIn).toBeGreaterThan(0);
    const t = await client.getSignTicket(appId, accessToken);
    expect(t.value).toBe(sim.currentTicket(appId));
    expect(t.expireIn).toBeGreaterThan(0);
    const [tokenCall] = sim.requests({ path: '/api/oauth2/access_token' }).slice(-1);
    expect(tokenCall?.query).toMatchObject({ app_id: appId, grant_type: 'client_credential', version: '1.0.0' });
  });

  test('when the secret is wrong, then WebankError with WeBank code, neither retryable nor a signature rejection', async () => {
    const err = await client.getAccessToken(appId, 'wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankError);
    expect(err).toMatchObject({ code: '400104', path: '/api/oauth2/access_token' });
    expect(isRetryable(err)).toBe(false);
    expect(isSignatureRejection(err)).toBe(false);
    expect(String((err as Error).message)).not.toContain('wrong');
  });

  test('when the access_token is unknown, then api_ticket fails with a signature-rejection code', async () => {
    const err = await client.getSignTicket(appId, 'not-a-token').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankError);
    expect(isSignatureRejection(err)).toBe(true);
  });

  test('when WeBank answers 5xx, then WebankHttpError (retryable)', async () => {
    sim.setFaults({ http5xxRate: 1 });
    const err = await client.getAccessToken(appId, secret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankHttpError);
    expect(err).toMatchObject({ status: 503 });
    expect(isRetryable(err)).toBe(true);
  });

  test('when the body is not JSON, then WebankProtocolError', async () => {
    sim.setFaults({ malformedJsonRate: 1 });
    const err = await client.getAccessToken(appId, secret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankProtocolError);
    expect(isRetryable(err)).toBe(true);
  });

  test('when the JSON is cut short, then WebankProtocolError', async () => {
    const t = await ticket();
    const orderNo = `o${randomBytes(6).toString('hex')}`;
    sim.createScan({ appId, orderNo });
    sim.setFaults({ truncatedJsonRate: 1, paths: ['/api/server/sync'] });
    const err = await client.queryJson('faceid', { appId, orderNo, ticket: t }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankProtocolError);
  });

  test('when WeBank never answers, then WebankTimeoutError (headers) after timeoutMs', async () => {
    sim.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    const err = await client.getAccessToken(appId, secret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankTimeoutError);
    expect(err).toMatchObject({ phase: 'headers', timeoutMs: 400 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isRetryable(err)).toBe(true);
  });

  test('when the connection is reset mid-answer, then WebankNetworkError (retryable)', async () => {
    sim.setFaults({ resetRate: 1 });
    const err = await client.getAccessToken(appId, secret).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankNetworkError);
    expect(isRetryable(err)).toBe(true);
  });

  test('when the sign uses a dead ticket, then code 400101 is a signature rejection', async () => {
    const err = await client
      .queryJson('faceid', { appId, orderNo: 'o1', ticket: 'bogus-ticket' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebankError);
    expect(err).toMatchObject({ code: '400101', path: '/api/server/sync' });
    expect((err as WebankError).bizSeqNo).toMatch(/^\d+$/);
    expect(isSignatureRejection(err)).toBe(true);
  });

  test('when there is no result, then WebankError 66660011', async () => {
    const err = await client
      .queryJson('liveness', { appId, orderNo: 'nosuchorder', ticket: await ticket() })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '66660011', path: '/api/server/getLiveResult' });
    expect(isRetryable(err)).toBe(false);
  });

  test('when a query is opened, then the signed URL carries a fresh 32-char nonce and the body streams the answer', async () => {
    const t = await ticket();
    const orderNo = `o${randomBytes(6).toString('hex')}`;
    sim.createScan({ appId, orderNo, videoBytes: 3 * 1024 * 1024 });
    const a = await client.openQuery('faceid', { appId, orderNo, ticket: t, getFile: '1' });
    const b = await client.openQuery('faceid', { appId, orderNo, ticket: t });
    expect(a.nonce).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.status).toBe(200);
    const json = JSON.parse((await readAll(a.body)).toString('utf8')) as { code: string; result: { video: string } };
    expect(json.code).toBe('0');
    expect(Buffer.from(json.result.video, 'base64').length).toBe(sim.servedMediaDigest(appId, orderNo).video?.size);
    b.body.destroy();
    const [call] = sim.requests({ path: '/api/server/sync' }).filter((r) => r.query.nonce === a.nonce);
    expect(call?.query).toMatchObject({
      app_id: appId,
      order_no: orderNo,
      version: '1.0.0',
      get_file: '1',
      sign: a.sign,
    });
    expect(call?.ticket).toBe('current');
  });

  test('when the caller stops reading for longer than the idle timeout, then the body still completes', async () => {
    const t = await ticket();
    const orderNo = `o${randomBytes(6).toString('hex')}`;
    sim.createScan({ appId, orderNo, videoBytes: 4 * 1024 * 1024 });
    // Generous headers timeout (a loaded machine is slow to start 4 MB), short idle timeout: the pause is what is tested.
    const patient = new WebankClient({
      apps: [{ appId, baseUrl: sim.url }],
      timeoutMs: 10_000,
      bodyIdleTimeoutMs: 400,
    });
    const q = await patient.openQuery('faceid', { appId, orderNo, ticket: t, getFile: '3' });
    await new Promise((r) => setTimeout(r, 900)); // backpressure, not WeBank's silence
    const body = await readAll(q.body);
    patient.close();
    expect(JSON.parse(body.toString('utf8')).code).toBe('0');
  });
});

describe('WebankClient body idle timeout', () => {
  test('when the body stalls while the caller waits, then the stream fails with WebankTimeoutError (body)', async () => {
    // A peer that sends headers and half a JSON, then goes silent: the simulator has no such fault.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"code":"0","result":{"video":"AAAA');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = new WebankClient({
      apps: [{ appId: 'TIDAstall', baseUrl: url }],
      timeoutMs: 1000,
      bodyIdleTimeoutMs: 300,
    });
    try {
      const q = await c.openQuery('faceid', { appId: 'TIDAstall', orderNo: 'o1', ticket: 't' });
      const err = await readAll(q.body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WebankTimeoutError);
      expect(err).toMatchObject({ phase: 'body', timeoutMs: 300 });
      const err2 = await c
        .queryJson('faceid', { appId: 'TIDAstall', orderNo: 'o1', ticket: 't' })
        .catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(WebankTimeoutError);
    } finally {
      c.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('when the app is unknown, then it says so without calling anyone', async () => {
    await expect(new WebankClient({ apps: [] }).getAccessToken('TIDAnone', 'x')).rejects.toThrow(/no WeBank base URL/);
  });
});
