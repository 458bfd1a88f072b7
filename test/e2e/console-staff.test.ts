import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { createUser, seedOrder, startConsole, uid, type ConsoleHarness, type TestUser } from '../console/harness';
import { artifactPath, launchChromium } from '../support/browser';

/**
 * The console as staff use it in Chromium: Chinese by default and English by the remembered
 * switch, keyboard focus kept after Verify / Reveal / Re-queue (bug 7), OCR side codes (bug 4),
 * forged callbacks for order numbers that never existed (bug 5), a missing object shown as such,
 * and the pages at 390 px. Screenshots go to test-artifacts/staff-*.png.
 */
declare const document: {
  activeElement: { getAttribute(n: string): string | null } | null;
  documentElement: { scrollWidth: number; clientWidth: number };
};

let h: ConsoleHarness;
let browser: Browser;
let admin: TestUser;

beforeAll(async () => {
  [h, browser] = await Promise.all([startConsole(), launchChromium()]);
  admin = await createUser(h, 'admin');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function signedIn(opts: { locale?: string; width?: number } = {}): Promise<Page> {
  const context = await browser.newContext({
    locale: opts.locale ?? 'zh-CN',
    viewport: { width: opts.width ?? 1280, height: 900 },
  });
  const page = await context.newPage();
  await page.goto(`${h.base}/login`);
  await page.fill('input[name=username]', admin.username);
  await page.fill('input[name=password]', admin.password);
  await Promise.all([page.waitForURL(`${h.base}/`), page.click('button[type=submit]')]);
  return page;
}

test('when a browser asks in Chinese (or nothing else we speak), then Chinese; the switch to English is remembered', async () => {
  const o = await seedOrder(h, { resultCode: '66660018' });
  const page = await signedIn({ locale: 'zh-CN' });
  await page.goto(`${h.base}/orders/${o.id}`);
  await expect(page.locator('h2').first().textContent()).resolves.toBe('核身结果');
  await expect(page.locator('h1 .outcome').textContent()).resolves.toBe('未通过');
  await expect(page.locator('h1 .status').textContent()).resolves.toBe('已归档');
  await page.screenshot({ path: artifactPath('staff-order-zh.png'), fullPage: true });

  await Promise.all([page.waitForURL(`**/orders/${o.id}`), page.click('#lang-switch')]);
  await expect(page.locator('h2').first().textContent()).resolves.toBe('Verification result');
  await expect(page.locator('h1 .outcome').textContent()).resolves.toBe('Failed');
  await page.goto(`${h.base}/`);
  await expect(page.locator('h1').textContent()).resolves.toBe('Orders');
  await page.screenshot({ path: artifactPath('staff-orders-en.png'), fullPage: true });
  await page.context().close();
}, 60_000);

test('when Verify, Reveal and Re-queue are pressed from the keyboard, then focus stays on the button (bug 7)', async () => {
  const o = await seedOrder(h);
  const page = await signedIn();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${h.base}/orders/${o.id}`);
  if (await page.locator('#purpose').count()) await page.fill('#purpose', 'ticket CS-7');
  for (const [action, output] of [
    ['verify', '#verify-result'],
    ['reveal', '#reveal-result'],
    ['requeue', '#requeue-result'],
  ] as const) {
    await page.focus(`button[data-action=${action}]`);
    await page.keyboard.press('Enter');
    await page.waitForFunction((sel) => {
      const el = (
        globalThis as unknown as { document: { querySelector(s: string): { className: string } | null } }
      ).document.querySelector(sel);
      return Boolean(el && /ok|bad/.test(el.className));
    }, output);
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-action') ?? null);
    expect([action, focused]).toEqual([action, action]);
  }
  await page.context().close();
}, 60_000);

test('when an OCR back side failed, then the order page shows the side codes (bug 4)', async () => {
  const o = await seedOrder(h, { resultCode: '0' });
  await h.db.order.update({
    where: { id: o.id },
    data: { product: 'ocr', details: { frontCode: '0', backCode: '-9102' } },
  });
  const page = await signedIn();
  await page.goto(`${h.base}/orders/${o.id}`);
  await expect(page.locator('#ocr-sides tr[data-side=back] .mono').textContent()).resolves.toBe('-9102');
  await expect(page.locator('h1 .outcome').textContent()).resolves.toBe('未通过');
  await page.context().close();
}, 60_000);

test('when a forged callback used an order number that never existed, then staff find it in the callback attempts (bug 5)', async () => {
  const forged = uid('FORGED');
  await h.db.callbackEvent.create({
    data: {
      channel: 'redirect',
      appId: h.cfg.apps[0]!.appId,
      orderNo: forged,
      code: '0',
      verdict: 'rejected',
      reason: 'signature mismatch',
      params: { orderNo: forged },
      clientIp: '198.51.100.23',
    },
  });
  const page = await signedIn();
  await page.click('#menu a[href$="/callbacks"]');
  await page.fill('#callbacks-form input[name=orderNo]', forged);
  await Promise.all([page.waitForURL(/orderNo=/), page.click('#callbacks-form button[type=submit]')]);
  const row = page.locator('#callback-attempts tbody tr', { hasText: forged });
  await expect(row.count()).resolves.toBe(1);
  await expect(row.textContent()).resolves.toContain('198.51.100.23');
  await expect(row.textContent()).resolves.toContain('签名不符（伪造）');
  await page.screenshot({ path: artifactPath('staff-callbacks-zh.png'), fullPage: true });
  await page.context().close();
}, 60_000);

test('when a photo is missing from S3, then the page says so instead of a broken image', async () => {
  const o = await seedOrder(h);
  await h.evidence.client.send(new DeleteObjectCommand({ Bucket: h.cfg.S3_BUCKET, Key: o.photoKey }));
  const page = await signedIn();
  await page.goto(`${h.base}/orders/${o.id}`);
  await page.waitForSelector('figure.missing .missing-note');
  await expect(page.locator('#evidence-photo').count()).resolves.toBe(0);
  await expect(page.locator('figure.missing .missing-note').textContent()).resolves.toContain('存储中找不到这份证据');
  await page.context().close();
}, 60_000);

test('when the console is used on a 390 px phone, then the pages fit without sideways scrolling', async () => {
  const o = await seedOrder(h);
  const page = await signedIn({ width: 390 });
  for (const path of ['/', `/orders/${o.id}`, '/callbacks', '/audit']) {
    await page.goto(`${h.base}${path}`);
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect([path, scrollWidth]).toEqual([path, clientWidth]);
  }
  await page.screenshot({ path: artifactPath('staff-order-390.png'), fullPage: true });
  await page.context().close();
}, 60_000);
