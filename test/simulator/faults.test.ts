import { request } from 'node:http';
import { type Simulator, startSimulator } from '../../src/simulator';
import { APP, fetchToken, queryUrl } from './helpers';

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

describe('simulator: fault injection', () => {
  let sim: Simulator;
  let ticket: string;
  beforeAll(async () => {
    sim = await startSimulator({ apps: [APP], seed: 42 });
    ticket = sim.currentTicket(APP.appId);
    sim.createScan({ appId: APP.appId, orderNo: 'order-f1', videoBytes: 120_000 });
  });
  afterEach(() => {
    sim.clearFaults();
    sim.clearRequests();
  });
  afterAll(() => sim.close());

  const sync = () => fetch(queryUrl(sim, { orderNo: 'order-f1', ticket }));

  test('when latency is set, then every /api answer waits that long', async () => {
    sim.setFaults({ latencyMs: 200 });
    const started = Date.now();
    expect((await sync()).status).toBe(200);
    await fetchToken(sim);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  test('when the 5xx rate is 1, then answers are HTTP 503', async () => {
    sim.setFaults({ http5xxRate: 1 });
    const res = await sync();
    expect(res.status).toBe(503);
    await res.text();
    expect(sim.requests({ path: '/api/server/sync' })[0]).toMatchObject({ status: 503, faults: ['http5xx'] });
  });

  test('when the malformed rate is 1, then the body is not JSON', async () => {
    sim.setFaults({ malformedJsonRate: 1 });
    const res = await sync();
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  test('when the truncated rate is 1, then the JSON is cut inside the video base64', async () => {
    sim.setFaults({ truncatedJsonRate: 1 });
    const text = await (await sync()).text();
    expect(() => JSON.parse(text)).toThrow();
    const video = text.indexOf('"video":"');
    expect(video).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThan(video + 1000);
    expect(text.slice(video + 9)).toMatch(B64);
  });

  test('when the reset rate is 1, then the connection dies mid-response', async () => {
    sim.setFaults({ resetRate: 1 });
    await expect(sync().then((r) => r.arrayBuffer())).rejects.toThrow();
    expect(sim.requests({ path: '/api/server/sync' })[0]).toMatchObject({ status: 0, faults: ['reset'] });
  });

  test('when the invalid base64 rate is 1, then photo and video carry characters outside base64', async () => {
    sim.setFaults({ invalidBase64Rate: 1 });
    const body = (await (await sync()).json()) as { result: { photo: string; video: string } };
    expect(body.result.photo).not.toMatch(B64);
    expect(body.result.video).not.toMatch(B64);
    expect(body.result.video.length).toBe(4 * Math.ceil(120_000 / 3));
  });

  test('when the timeout rate is 1, then nothing answers until the client gives up, and close still returns', async () => {
    sim.setFaults({ timeoutRate: 1 });
    const started = Date.now();
    await expect(
      fetch(queryUrl(sim, { orderNo: 'order-f1', ticket }), { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const other = await startSimulator({ apps: [APP] });
    other.setFaults({ timeoutRate: 1 });
    const hung = new Promise<string>((resolve) => {
      const req = request(`${other.url}/api/oauth2/access_token`, () => resolve('answered'));
      req.on('error', () => resolve('dropped'));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 50));
    const closed = Date.now();
    await other.close();
    expect(Date.now() - closed).toBeLessThan(1000);
    expect(await hung).toBe('dropped');
  });

  test('when faults are limited to paths, then other paths answer normally', async () => {
    sim.setFaults({ http5xxRate: 1, latencyMs: 0, paths: ['/api/server/sync'] });
    expect((await fetchToken(sim)).code).toBe('0');
    expect((await sync()).status).toBe(503);
    sim.clearFaults();
    expect((await sync()).status).toBe(200);
  });

  test('when two simulators share a seed, then they inject the same faults in the same order', async () => {
    const pattern = async (s: Simulator) => {
      s.setFaults({ http5xxRate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${s.url}/api/oauth2/access_token?app_id=x`);
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      return statuses;
    };
    const a = await startSimulator({ apps: [APP], seed: 7 });
    const b = await startSimulator({ apps: [APP], seed: 7 });
    try {
      const pa = await pattern(a);
      expect(await pattern(b)).toEqual(pa);
      expect(pa).toContain(503);
      expect(pa).toContain(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('when a fault value is out of range or unknown, then setFaults refuses it', () => {
    expect(() => sim.setFaults({ http5xxRate: 2 })).toThrow();
    expect(() => sim.setFaults({ latencyMs: -1 })).toThrow();
    expect(() => sim.setFaults({ bogus: 1 } as never)).toThrow();
  });
});
