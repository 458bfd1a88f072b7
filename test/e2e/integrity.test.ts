import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { checkExportPackage } from '../../src/shared/compliance/export-package';
import { createUser, seedOrder, startConsole, VIDEO, type ConsoleHarness, type TestUser } from '../console/harness';
import { artifactPath, launchChromium } from '../support/browser';

/**
 * Issue 18 in headless Chromium, as staff hit it: a byte of the stored video flipped in S3 is
 * caught when the order page's player loads it, the page then says so (in Chinese), Needs
 * attention lists it and the header counts it; exporting an order without files asks first.
 */

let h: ConsoleHarness;
let browser: Browser;
let auditor: TestUser;

beforeAll(async () => {
  [h, browser] = await Promise.all([startConsole(), launchChromium()]);
  auditor = await createUser(h, 'auditor');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signIn(page: Page, next: string): Promise<void> {
  await page.goto(`${h.base}${next}`);
  await page.fill('input[name=username]', auditor.username);
  await page.fill('input[name=password]', auditor.password);
  await Promise.all([page.waitForURL(`**/console${next}`), page.click('button[type=submit]')]);
}

test('a tampered video is caught when the order page plays it, and the page, Needs attention and the header then say so', async () => {
  const order = await seedOrder(h);
  const altered = Buffer.from(VIDEO);
  altered[2048] = altered[2048]! ^ 0xff;
  await h.evidence.client.send(new PutObjectCommand({ Bucket: h.s3.bucket, Key: order.videoKey, Body: altered }));

  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  await signIn(page, `/orders/${order.id}`);

  // The player's first (ranged) request makes the server check the whole object: it is refused.
  const mark = async () =>
    (await h.db.evidence.findUniqueOrThrow({ where: { orderId_kind: { orderId: order.id, kind: 'video' } } }))
      .integrityFailedAt;
  for (let i = 0; i < 100 && !(await mark()); i++) await page.waitForTimeout(100);
  expect(await mark()).not.toBeNull();

  await page.reload();
  const alert = page.locator('#integrity-alert');
  await expect(alert.isVisible()).resolves.toBe(true);
  await expect(alert.textContent()).resolves.toContain('证据完整性校验失败');
  await expect(page.locator('#evidence-video').count()).resolves.toBe(0);
  await expect(page.locator('#evidence-video-failed').isVisible()).resolves.toBe(true);
  await expect(page.locator('tr[data-kind=video][data-integrity=failed]').count()).resolves.toBe(1);
  await page.screenshot({ path: artifactPath('integrity-1-order.png'), fullPage: true });

  // Needs attention lists it, and the header counts what needs attention.
  await page.click('#nav-attention');
  await page.waitForURL('**/console/attention');
  await expect(page.locator('#attention-integrity').textContent()).resolves.toContain(order.orderNo);
  const count = Number(await page.locator('#attention-count').textContent());
  expect(count).toBeGreaterThanOrEqual(1);
  await page.screenshot({ path: artifactPath('integrity-2-attention.png'), fullPage: true });
  await context.close();
}, 90_000);

test('exporting an order without files asks for confirmation; the package says it is incomplete', async () => {
  const order = await seedOrder(h, { status: 'EVIDENCE_MISSING' });
  await h.db.evidence.deleteMany({ where: { orderId: order.id } });

  const context = await browser.newContext({ acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  await signIn(page, `/orders/${order.id}`);
  await page.fill('#purpose', '工单 CS-1842');

  // Cancelled: nothing is exported.
  const dialogs: string[] = [];
  page.once('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.click('#export-form button');
  await page.waitForTimeout(500);
  expect(dialogs).toHaveLength(1);
  expect(dialogs[0]).toContain('不完整');
  const exportsSoFar = await h.db.auditEntry.count({ where: { orderId: order.id, action: 'export' } });
  expect(exportsSoFar).toBe(0);

  // Confirmed: the package comes, and says it is incomplete.
  page.once('dialog', (d) => void d.accept());
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-form button')]);
  const report = await checkExportPackage(await download.path(), { publicKeyPem: h.publicKeyPem });
  expect(report.manifest?.completeness).toMatchObject({ complete: false, missing: ['photo', 'video'] });
  expect(report.ok).toBe(false);
  await context.close();
}, 90_000);
