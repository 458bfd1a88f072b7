import { startFauxqs, type FauxqsS3 } from '../../support/fauxqs';
import { eventually } from '../../support/pipeline';
import { TcpProxy } from '../../support/tcp-proxy';
import { ThrowawayRedis, freePort } from '../../support/throwaway-redis';
import { startWeb, testConfig } from '../../support/web-harness';

const TICKET = 'readiness-test-ticket-' + 'r'.repeat(40);

interface Report {
  status: 'ready' | 'unavailable';
  checks: Record<string, { ok: boolean; latencyMs: number; error?: string }>;
}

async function readyz(url: string): Promise<{ status: number; body: Report }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Report };
}

const failing = (r: Report) =>
  Object.entries(r.checks)
    .filter(([, c]) => !c.ok)
    .map(([name]) => name)
    .sort();

describe('readiness', () => {
  let s3: FauxqsS3;
  beforeAll(async () => {
    s3 = await startFauxqs();
  });
  afterAll(async () => s3.stop());

  test('when Redis or S3 goes away, then /readyz answers 503 naming it, /healthz stays 200, and both recover when it is back', async () => {
    const redis = await ThrowawayRedis.start();
    // S3 through a proxy that can be taken down and brought back on the same address.
    const s3proxy = await TcpProxy.start(Number(new URL(s3.endpoint).port));
    const h = await startWeb({ cfg: testConfig({ ...s3.s3Env, S3_ENDPOINT: s3proxy.url, REDIS_URL: redis.url }) });
    try {
      await h.tickets.save(h.cfg.WEBANK_APP_ID, TICKET, 3600);
      const ok = await readyz(h.opsUrl);
      expect(ok.status).toBe(200);
      expect(ok.body.status).toBe('ready');
      expect(Object.keys(ok.body.checks).sort()).toEqual(['credential_conflict', 'postgres', 'redis', 's3', 'tickets']);
      const { credential_conflict: advisory, ...deciding } = ok.body.checks;
      for (const c of Object.values(deciding)) expect(c).toEqual({ ok: true, latencyMs: expect.any(Number) });
      // Reported, but it never decides readiness (docs/tickets.md, "One credential owner").
      expect(advisory).toEqual({ ok: true, latencyMs: expect.any(Number), advisory: true });

      await redis.down();
      const noRedis = await readyz(h.opsUrl);
      expect(noRedis.status).toBe(503);
      expect(noRedis.body.status).toBe('unavailable');
      expect(failing(noRedis.body)).toEqual(['redis']);
      expect(noRedis.body.checks.redis!.error).toBeTruthy();
      expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
      await redis.up();
      await eventually(async () => (await readyz(h.opsUrl)).status === 200, 10_000, 200);

      await s3proxy.down();
      const noS3 = await readyz(h.opsUrl);
      expect(noS3.status).toBe(503);
      expect(failing(noS3.body)).toEqual(['s3']);
      expect(noS3.body.checks.s3!.error).toMatch(/S3 bucket .* is not reachable|timed out/);
      await s3proxy.up();
      await eventually(async () => (await readyz(h.opsUrl)).status === 200, 10_000, 200);
    } finally {
      await h.close();
      await redis.down();
      await s3proxy.close();
    }
  });

  test('when the S3 endpoint is wrong and no SIGN ticket is held, then /readyz says so for each, within the probe timeout', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const h = await startWeb({ cfg: testConfig({ ...s3.s3Env, S3_ENDPOINT: nowhere }) });
    try {
      // A fresh producer connection refuses commands until it is connected: not ready yet, rightly.
      await eventually(async () => (await readyz(h.opsUrl)).body.checks.redis?.ok, 5000, 50);
      const started = Date.now();
      const r = await readyz(h.opsUrl);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(r.status).toBe(503);
      expect(failing(r.body)).toEqual(['s3', 'tickets']);
      expect(r.body.checks.tickets!.error).toContain(h.cfg.WEBANK_APP_ID);
    } finally {
      await h.close();
    }
  });
});
