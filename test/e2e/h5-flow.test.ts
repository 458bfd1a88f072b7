import type { Browser } from 'playwright-core';
import { artifactPath, launchChromium } from '../support/browser';
import { eventually, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';
import { GetObjectCommand } from '@aws-sdk/client-s3';

describe('H5 face scan in a real browser', () => {
  let p: Pipeline;
  let browser: Browser;

  beforeAll(async () => {
    [p, browser] = await Promise.all([startPipeline({ env: { RESULT_REDIRECT_URL: '' } }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await p?.close();
  });

  test('when the user presses Pass, then the browser lands on our callback and the order is archived with both files in S3', async () => {
    const orderNo = uid('e2e');
    const callback = `${p.web.url}${p.cfg.CALLBACK_PATH}`;
    const page = await browser.newPage();
    await page.goto(`${p.sim.url}/h5/start?${new URLSearchParams({ appId: p.appId, orderNo, url: callback })}`);
    await page.screenshot({ path: artifactPath('h5-start.png') });
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.click('#pass')]);

    expect(new URL(page.url()).searchParams.get('orderNo')).toBe(orderNo);
    await expect(page.locator('#title').textContent()).resolves.toBe('Verification complete');
    await page.screenshot({ path: artifactPath('h5-callback.png') });

    const order = await eventually(async () => {
      const o = await p.web.db.order.findUnique({
        where: { appId_orderNo: { appId: p.appId, orderNo } },
        include: { evidence: true },
      });
      return o?.status === 'ARCHIVED' ? o : undefined;
    }, 10_000);
    expect(order.evidence.map((e) => e.kind).sort()).toEqual(['photo', 'video']);
    const served = p.sim.servedMedia(p.appId, orderNo);
    for (const e of order.evidence) {
      const obj = await p.s3.client.send(new GetObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: e.key }));
      expect(Buffer.from(await obj.Body!.transformToByteArray()).equals(served[e.kind]!)).toBe(true);
    }
  });

  test('when the user abandons, then no callback arrives and nothing is recorded', async () => {
    const orderNo = uid('e2e');
    const page = await browser.newPage();
    await page.goto(
      `${p.sim.url}/h5/start?${new URLSearchParams({ appId: p.appId, orderNo, url: `${p.web.url}${p.cfg.CALLBACK_PATH}` })}`,
    );
    await page.click('#abandon');
    await expect(page.locator('body').textContent()).resolves.toMatch(/left/i);
    expect(await p.web.db.order.count({ where: { appId: p.appId, orderNo } })).toBe(0);
  });
});
