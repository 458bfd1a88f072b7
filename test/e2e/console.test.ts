import type { Browser } from 'playwright-core';
import { checkExportPackage } from '../../src/shared/compliance/export-package';
import {
  createUser,
  seedOrder,
  startConsole,
  type ConsoleHarness,
  type SeededOrder,
  type TestUser,
} from '../console/harness';
import { artifactPath, launchChromium } from '../support/browser';

/**
 * The console in headless Chromium: log in, search, open an order, the photo renders, the video
 * plays and seeks (served with Range), verify, reveal, export downloads. Screenshots go to
 * test-artifacts/console-*.png.
 */
// The callbacks below run inside Chromium; tsconfig has no DOM lib, so these declarations type them here only.
interface Img {
  complete: boolean;
  naturalWidth: number;
}
interface Video {
  muted: boolean;
  currentTime: number;
  duration: number;
  readyState: number;
  error: { code: number } | null;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: string, listener: () => void, opts?: { once: boolean }): void;
}
declare const document: { querySelector(selector: string): unknown };
declare function requestAnimationFrame(callback: () => void): number;

let h: ConsoleHarness;
let browser: Browser;
let order: SeededOrder;
let auditor: TestUser;

beforeAll(async () => {
  [h, browser] = await Promise.all([startConsole(), launchChromium()]);
  order = await seedOrder(h);
  auditor = await createUser(h, 'auditor');
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

test('an auditor logs in, finds the order, sees the photo, plays and seeks the video, verifies, reveals and exports', async () => {
  // English here (Accept-Language); test/e2e/console-staff.test.ts covers the Chinese default.
  const context = await browser.newContext({
    acceptDownloads: true,
    viewport: { width: 1280, height: 1000 },
    locale: 'en-US',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  // An anonymous visit lands on the login page, which sends us back where we were going.
  await page.goto(`${h.base}/orders/${order.id}`);
  expect(new URL(page.url()).pathname).toBe('/console/login');
  await page.fill('input[name=username]', auditor.username);
  await page.fill('input[name=password]', auditor.password);
  await page.screenshot({ path: artifactPath('console-1-login.png') });
  await Promise.all([page.waitForURL(`**/console/orders/${order.id}`), page.click('button[type=submit]')]);

  // Search.
  await page.goto(`${h.base}/`);
  await page.fill('input[name=q]', order.orderNo);
  await Promise.all([page.waitForURL(/q=/), page.click('#search-form button[type=submit]')]);
  const link = page.locator('a.order-link', { hasText: order.orderNo });
  await expect(link.count()).resolves.toBe(1);
  await page.screenshot({ path: artifactPath('console-2-search.png') });
  await Promise.all([page.waitForURL(`**/console/orders/${order.id}`), link.click()]);

  // The photo renders.
  await page.waitForFunction(() => {
    const img = document.querySelector('#evidence-photo') as Img | null;
    return Boolean(img && img.complete && img.naturalWidth > 0);
  });
  expect(await page.locator('#evidence-photo').evaluate((img) => (img as unknown as Img).naturalWidth)).toBeGreaterThan(
    0,
  );

  // The video plays, then seeks (the player issues Range requests).
  const played = await page.locator('#evidence-video').evaluate(async (el) => {
    const v = el as unknown as Video;
    v.muted = true;
    await v.play();
    await new Promise<void>((resolve) => {
      const tick = () => (v.currentTime > 0.2 ? resolve() : requestAnimationFrame(tick));
      tick();
    });
    v.pause();
    const seeked = new Promise<void>((resolve) => v.addEventListener('seeked', () => resolve(), { once: true }));
    v.currentTime = 1.5;
    await seeked;
    return { duration: v.duration, currentTime: v.currentTime, readyState: v.readyState, error: v.error?.code ?? null };
  });
  expect(played.error).toBeNull();
  expect(played.duration).toBeGreaterThan(1.5);
  expect(played.currentTime).toBeCloseTo(1.5, 1);
  expect(played.readyState).toBeGreaterThanOrEqual(2);

  // Masked until revealed.
  await expect(page.locator('#pii-idno').textContent()).resolves.toBe('11**************34');
  await page.fill('#purpose', 'ticket CS-1001');
  await page.click('button[data-action=reveal]');
  await page.waitForFunction(
    () => (document.querySelector('#pii-idno') as { textContent: string } | null)?.textContent === '110101199001011234',
  );

  // Verify integrity.
  await page.click('button[data-action=verify]');
  await page.waitForFunction(() =>
    /PASS/.test((document.querySelector('#verify-result') as { textContent: string } | null)?.textContent ?? ''),
  );
  await page.screenshot({ path: artifactPath('console-3-order.png'), fullPage: true });

  // Export downloads a package that checks out.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-form button')]);
  expect(download.suggestedFilename()).toBe(`evidence-${order.orderNo}.zip`);
  const file = await download.path();
  const report = await checkExportPackage(file, { publicKeyPem: h.publicKeyPem });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);

  // The audit trail shows what we just did.
  await page.goto(`${h.base}/audit?orderNo=${order.orderNo}`);
  const actions = await page.locator('table.audit tbody tr td:nth-child(4)').allTextContents();
  // Seeing the photo and playing the video are views; the export is the download.
  expect(actions).toEqual(expect.arrayContaining(['view', 'reveal personal data', 'verify', 'export']));
  await page.screenshot({ path: artifactPath('console-4-audit.png'), fullPage: true });

  expect(problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([]);
  await context.close();
});
