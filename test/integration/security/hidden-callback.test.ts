import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkExportPackage } from '../../../src/shared/compliance/export-package';
import {
  call,
  createUser,
  login,
  seedOrder,
  startConsole,
  uid,
  type ConsoleHarness,
  type Session,
} from '../../console/harness';

/**
 * Issue 15, item 5: forgeries must not hide the genuine callback. After 510 forged callbacks for
 * one order number the order page and its signed export listed 500 forgeries (oldest first) and
 * not the accepted callback. Every verified event (accepted, duplicate, conflict, late) is always
 * shown; the refused ones are summarised with counts.
 */
describe('an order buried under forged callbacks', () => {
  let h: ConsoleHarness;
  let auditor: Session;
  let orderId: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'hidden-callback-'));

  beforeAll(async () => {
    h = await startConsole();
    auditor = await login(h, await createUser(h, 'auditor'));
    const orderNo = uid('ORD');
    const appId = h.cfg.apps[0]!.appId;
    // The forgeries come first (from many addresses, so none of them fold), the genuine redirect after.
    await h.db.callbackEvent.createMany({
      data: Array.from({ length: 510 }, (_, i) => ({
        channel: 'redirect',
        appId,
        orderNo,
        code: '0',
        verdict: 'rejected',
        reason: 'signature mismatch',
        params: { code: '0', orderNo },
        clientIp: `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      })),
    });
    orderId = (await seedOrder(h, { orderNo })).id;
  }, 60_000);
  afterAll(async () => h?.close());

  interface Summary {
    verdict: string;
    events: number;
    attempts: number;
    shown: number;
  }

  test('then the order API lists the accepted callback and counts the forgeries', async () => {
    const res = await call(h, auditor, 'GET', `/api/orders/${orderId}`);
    expect(res.status).toBe(200);
    const v = (await res.json()) as {
      callbackEvents: { verdict: string }[];
      callbackEventSummary: Summary[];
    };
    expect(v.callbackEvents.map((c) => c.verdict)).toContain('accepted');
    expect(v.callbackEvents.length).toBeLessThanOrEqual(200);
    const rejected = v.callbackEventSummary.find((s) => s.verdict === 'rejected')!;
    expect(rejected).toMatchObject({ events: 511, attempts: 511 });
    expect(rejected.shown).toBeLessThan(511);
  });

  test('then the order page shows the accepted callback and says how many refused ones are not listed', async () => {
    const res = await call(h, auditor, 'GET', `/orders/${orderId}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('verdict-accepted');
    expect(page).toMatch(/511/);
  });

  test('then the signed export holds the accepted callback and the counts', async () => {
    const res = await call(h, auditor, 'POST', `/api/orders/${orderId}/export`, {
      json: { purpose: 'ticket CS-1001' },
    });
    expect(res.status).toBe(200);
    const file = path.join(dir, `${uid('pkg-')}.zip`);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const report = await checkExportPackage(file, { publicKeyPem: h.publicKeyPem });
    expect(report.ok).toBe(true);
    const m = report.manifest! as unknown as {
      callbackEvents: { verdict: string }[];
      callbackEventSummary: Summary[];
    };
    expect(m.callbackEvents.map((c) => c.verdict)).toContain('accepted');
    expect(m.callbackEventSummary.find((s) => s.verdict === 'rejected')).toMatchObject({ events: 511, attempts: 511 });
  });
});
