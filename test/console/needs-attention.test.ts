import { PutObjectCommand } from '@aws-sdk/client-s3';
import { registerExpectedOrder } from '../../src/shared/orders/registration';
import {
  call,
  createUser,
  login,
  PHOTO,
  seedOrder,
  startConsole,
  uid,
  type ConsoleHarness,
  type Session,
} from './harness';

/**
 * Issue 18, Needs attention: one view of what staff must act on, counted in the header. Every
 * item is produced the way it happens: a byte flipped in fauxqs and read, orders left
 * EVIDENCE_MISSING or FAILED, a registration near WeBank's 3 days, a burst of forged callbacks,
 * credential conflicts recorded by the ticket keeper's table.
 */

let h: ConsoleHarness;
let viewer: Session;

beforeAll(async () => {
  h = await startConsole();
  viewer = await login(h, await createUser(h, 'viewer'));
}, 60_000);

afterAll(async () => {
  await h?.close();
});

interface Attention {
  total: number;
  integrity: { orderNo: string; files: { kind: string; problem: string }[] }[];
  evidenceMissing: { orderNo: string; lastError: string | null }[];
  failed: { orderNo: string }[];
  nearLimit: { orderNo: string; hoursLeft: number }[];
  forgedBursts: { appId: string | null; count: number }[];
  credentialConflicts: { appId: string; lastHour: number; suspected: boolean }[];
}

test('when evidence is tampered, missing or failed, an order nears the 3-day limit, forgeries burst and credentials conflict, then Needs attention lists each and the header counts them', async () => {
  const app = h.cfg.apps[0]!;
  const tampered = await seedOrder(h);
  await h.evidence.client.send(
    new PutObjectCommand({
      Bucket: h.s3.bucket,
      Key: tampered.photoKey,
      Body: Buffer.concat([PHOTO, Buffer.from('x')]),
    }),
  );
  await call(h, viewer, 'POST', `/api/orders/${tampered.id}/verify`);
  const missing = await seedOrder(h, { status: 'EVIDENCE_MISSING' });
  await h.db.order.update({ where: { id: missing.id }, data: { lastError: 'missing photo, video' } });
  const failed = await seedOrder(h, { status: 'FAILED' });
  const nearLimit = uid('near');
  await registerExpectedOrder(h.db, h.cfg, app, {
    orderNo: nearLimit,
    startedAt: new Date(Date.now() - 70 * 3600_000),
  });
  await h.db.callbackEvent.createMany({
    data: Array.from({ length: 12 }, () => ({
      channel: 'redirect',
      appId: app.appId,
      orderNo: uid('forged'),
      code: '0',
      verdict: 'rejected',
      reason: 'signature mismatch',
      params: {},
      clientIp: '198.51.100.7',
    })),
  });
  await h.db.credentialConflict.createMany({
    data: [1, 2, 3].map((i) => ({
      appId: app.appId,
      refreshObtainedAt: new Date(Date.now() - i * 60_000),
      source: 'query',
      code: '400101',
    })),
  });

  const res = await call(h, viewer, 'GET', '/api/needs-attention');
  expect(res.status).toBe(200);
  const a = (await res.json()) as Attention;
  expect(a.integrity).toContainEqual(
    expect.objectContaining({
      orderNo: tampered.orderNo,
      files: [expect.objectContaining({ kind: 'photo', problem: 'size' })],
    }),
  );
  expect(a.evidenceMissing).toContainEqual(
    expect.objectContaining({ orderNo: missing.orderNo, lastError: 'missing photo, video' }),
  );
  expect(a.failed.map((o) => o.orderNo)).toContain(failed.orderNo);
  expect(a.nearLimit.map((o) => o.orderNo)).toContain(nearLimit);
  // 12 forged here, plus the one rejected callback each seeded order carries.
  expect(a.forgedBursts.find((b) => b.appId === app.appId)?.count).toBeGreaterThanOrEqual(12);
  expect(a.credentialConflicts).toContainEqual(
    expect.objectContaining({ appId: app.appId, lastHour: 3, suspected: true }),
  );
  expect(a.total).toBeGreaterThanOrEqual(6);

  const page = await call(h, viewer, 'GET', '/attention', { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  const text = await page.text();
  for (const orderNo of [tampered.orderNo, missing.orderNo, failed.orderNo, nearLimit]) expect(text).toContain(orderNo);
  expect(text).toContain('id="attention-integrity"');
  // Chinese by default, and the header carries the count on every page.
  expect(text).toContain('待处理');
  const orders = await (await call(h, viewer, 'GET', '/', { headers: { accept: 'text/html' } })).text();
  expect(orders).toMatch(new RegExp(`id="attention-count"[^>]*>${a.total}<`));
}, 60_000);
