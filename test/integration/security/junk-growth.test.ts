import { startWeb, uid, type WebHarness } from '../../support/web-harness';

/**
 * Issue 15, item 4: junk from the internet must not grow the database without bound. 500 requests
 * with a junk Bearer token added 500 audit rows, and every invalid callback added an event. An
 * address that keeps failing authentication is refused before any token is looked up, and
 * repeated denials (same address, same reason, same window) fold into a few rows with a count.
 */
/** One of 65 000 addresses: folding windows are 10 minutes, and runs on one database must not share one. */
const randomAddress = (net: string) =>
  `${net}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;

describe('junk requests and the size of the audit trail', () => {
  let h: WebHarness;
  beforeAll(async () => {
    h = await startWeb();
  });
  afterAll(async () => h.close());

  async function burst(n: number, ip: string, send: () => Promise<Response>): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < n; i += 25) {
      statuses.push(
        ...(await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => send().then((r) => r.status)))),
      );
    }
    void ip;
    return statuses;
  }

  function repeatCount(detail: unknown): number {
    const r = (detail as { repeat?: { count?: number } } | null)?.repeat;
    return r?.count ?? 1;
  }

  test.each([
    ['the partner API', '/api/orders', 'POST'],
    ['the console API', '/console/api/orders/00000000-0000-0000-0000-000000000000', 'GET'],
  ])(
    'when one address sends 500 requests with a junk Bearer token to %s, then it is throttled and a handful of audit rows count them',
    async (_what, path, method) => {
      const ip = randomAddress('100.64');
      // Only this run's rows: the address may have been drawn by an earlier run on this database.
      const since = new Date(Date.now() - 1000);
      const statuses = await burst(500, ip, () =>
        fetch(`${h.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${uid('junk')}`,
            'x-forwarded-for': ip,
            'content-type': 'application/json',
          },
          ...(method === 'POST' ? { body: JSON.stringify({ orderNo: uid('o') }) } : {}),
        }),
      );
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(400);
      const rows = await h.db.auditEntry.findMany({ where: { ip, at: { gte: since } }, orderBy: { id: 'asc' } });
      expect(rows.length).toBeLessThanOrEqual(8);
      expect(rows.every((r) => r.outcome === 'denied')).toBe(true);
      // The rows still say how much happened: the largest count per reason reaches the hundreds.
      expect(Math.max(...rows.map((r) => repeatCount(r.detail)))).toBeGreaterThanOrEqual(100);
    },
    60_000,
  );

  test('when one address sends 300 invalid callbacks, then they fold into one event with a count', async () => {
    const ip = randomAddress('100.65');
    const since = new Date(Date.now() - 1000);
    const statuses = await burst(300, ip, () =>
      fetch(`${h.url}${h.cfg.CALLBACK_PATH}?code=0&orderNo=${uid('j')}&h5faceId=x`, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': ip },
      }),
    );
    expect(statuses.every((s) => s === 400)).toBe(true);
    const rows = await h.db.callbackEvent.findMany({ where: { clientIp: ip, createdAt: { gte: since } } });
    expect(rows.length).toBeLessThanOrEqual(2);
    expect(rows.reduce((n, r) => n + ((r as { repeatCount?: number }).repeatCount ?? 1), 0)).toBe(300);
  }, 60_000);
});
