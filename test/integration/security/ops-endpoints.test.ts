import { startWeb, type WebHarness } from '../../support/web-harness';

/**
 * Issue 15, item 6: `/metrics` and `/readyz` showed app ids, verdict counts and dependency errors
 * to anyone on the web port. They are served on the internal ops port (OPS_PORT) only; the public
 * port keeps `/healthz`, which says nothing but "alive".
 */
describe('operations endpoints', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await startWeb();
  });
  afterAll(async () => h.close());

  test.each(['/metrics', '/readyz'])(
    'when %s is asked on the public web port, then 404 and nothing about the service',
    async (path) => {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).not.toContain(h.cfg.WEBANK_APP_ID);
      expect(body).not.toMatch(/faceid_|postgres|redis|tickets/);
    },
  );

  test('when /healthz is asked on the public web port, then 200 with nothing but the status', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object)).toEqual(['status']);
  });

  test('when the ops port is asked, then /metrics, /readyz and /healthz answer there', async () => {
    const metrics = await fetch(`${h.opsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('faceid_');
    const ready = await fetch(`${h.opsUrl}/readyz`);
    expect([200, 503]).toContain(ready.status);
    expect(Object.keys(((await ready.json()) as { checks: object }).checks)).toContain('postgres');
    expect((await fetch(`${h.opsUrl}/healthz`)).status).toBe(200);
  });
});
