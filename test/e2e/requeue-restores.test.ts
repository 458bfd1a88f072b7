import type { Browser } from 'playwright-core';
import { createStaffUser } from '../../src/shared/compliance/staff/accounts';
import { artifactPath, launchChromium } from '../support/browser';
import { eventually, expectStoredAsServed, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

/**
 * Issue 18, bug 2 in headless Chromium, as staff hit it: a photo deleted from S3, an admin clicks
 * Re-queue on the order page, and the photo is back (fetched again from the WeBank simulator)
 * and renders; the timeline says what happened.
 */
interface Img {
  complete: boolean;
  naturalWidth: number;
}
declare const document: { querySelector(selector: string): unknown };

let p: Pipeline;
let browser: Browser;

beforeAll(async () => {
  [p, browser] = await Promise.all([
    startPipeline({ env: { CONSOLE_COOKIE_SECURE: 'false', CONSOLE_LOGIN_MAX_FAILURES_PER_IP: '1000' } }),
    launchChromium(),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await p?.close();
});

const orderOf = (orderNo: string) =>
  p.web.db.order.findUniqueOrThrow({
    where: { appId_orderNo: { appId: p.appId, orderNo } },
    include: { evidence: { orderBy: { kind: 'asc' } }, timeline: { orderBy: { id: 'asc' } } },
  });

test('a photo deleted from S3 comes back when an admin clicks Re-queue, and renders again', async () => {
  const orderNo = uid('o');
  p.sim.createScan({ appId: p.appId, orderNo });
  await redirectBack(p, orderNo);
  const archived = await eventually(async () => {
    const o = await orderOf(orderNo);
    return o.status === 'ARCHIVED' ? o : undefined;
  }, 30_000);
  await p.evidence.delete(archived.evidence.find((e) => e.kind === 'photo')!.key);

  const username = uid('admin-');
  const password = `pw-${uid()}`;
  await createStaffUser(p.web.db, { username, role: 'admin', password });
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const base = `${p.web.url}/console`;
  await page.goto(`${base}/orders/${archived.id}`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`**/console/orders/${archived.id}`), page.click('button[type=submit]')]);

  page.once('dialog', (d) => void d.accept());
  await page.click('button[data-action=requeue]');
  const after = await eventually(async () => {
    const o = await orderOf(orderNo);
    return o.archiveAttempts >= 2 && ['ARCHIVED', 'EVIDENCE_MISSING', 'FAILED'].includes(o.status) ? o : undefined;
  }, 30_000);
  expect(after.status).toBe('ARCHIVED');
  await expectStoredAsServed(p, orderNo, after.evidence);
  expect(after.timeline.map((t) => t.type)).toEqual(expect.arrayContaining(['requeued', 'integrity_failed']));

  await page.reload();
  await page.waitForFunction(() => {
    const img = document.querySelector('#evidence-photo') as Img | null;
    return Boolean(img && img.complete && img.naturalWidth > 0);
  });
  await page.screenshot({ path: artifactPath('integrity-3-requeued.png'), fullPage: true });
  await context.close();
}, 120_000);
