import type { Browser } from 'playwright-core';
import { createApiToken } from '../../src/shared/compliance/staff/api-tokens';
import { dataKey, open } from '../../src/shared/platform/sealed';
import { artifactPath, launchChromium } from '../support/browser';
import { eventually, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

interface Started {
  orderNo: string;
  h5faceId: string;
  url: string;
}

describe('a verification started through the service, in a real browser', () => {
  let p: Pipeline;
  let browser: Browser;
  let token: string;

  beforeAll(async () => {
    [p, browser] = await Promise.all([startPipeline({ env: { RESULT_REDIRECT_URL: '' } }), launchChromium()]);
    token = (await createApiToken(p.web.db, p.cfg, { kind: 'partner', name: uid('backend') })).token;
  });
  afterAll(async () => {
    await browser?.close();
    await p?.close();
  });

  const start = async (body: Record<string, string>): Promise<Started> => {
    const res = await fetch(`${p.web.url}/api/verifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Started;
  };

  test('when the user opens the start URL and passes, then the browser comes back to us and the order is archived with its identity', async () => {
    const started = await start({ userId: 'e2euser1', name: '王小明', idNo: '110105199003074213' });
    const page = await browser.newPage();
    await page.goto(started.url);
    expect(page.url().startsWith(`${p.sim.url}/h5/start?`)).toBe(true);
    await page.screenshot({ path: artifactPath('start-scan-page.png') });
    const callback = `${p.web.url}${p.cfg.CALLBACK_PATH}/default`;
    await Promise.all([page.waitForURL((u) => u.href.startsWith(callback)), page.click('#pass')]);
    expect(new URL(page.url()).searchParams.get('h5faceId')).toBe(started.h5faceId);
    await expect(page.locator('#title').textContent()).resolves.toBe('Verification complete');

    const order = await eventually(async () => {
      const o = await p.web.db.order.findUnique({
        where: { appId_orderNo: { appId: p.appId, orderNo: started.orderNo } },
        include: { evidence: true, timeline: { orderBy: { id: 'asc' } } },
      });
      return o?.status === 'ARCHIVED' ? o : undefined;
    }, 15_000);
    expect(order.evidence.map((e) => e.kind).sort()).toEqual(['photo', 'video']);
    expect(order.h5faceId).toBe(started.h5faceId);
    expect(open(order.idNoSealed!, dataKey(p.cfg.DATA_ENCRYPTION_KEY))).toBe('110105199003074213');
    expect(order.timeline.map((e) => e.type).slice(0, 4)).toEqual([
      'start_requested',
      'start_faceid',
      'start_nonce_ticket',
      'start_url_issued',
    ]);
  });

  test('when the same start URL is opened twice, or after its NONCE ticket expired, then WeBank’s error page, not the scan', async () => {
    const once = await start({ userId: 'e2euser2' });
    const first = await browser.newPage();
    await first.goto(once.url);
    await expect(first.locator('#pass').count()).resolves.toBe(1);
    const second = await browser.newPage();
    await second.goto(once.url);
    await expect(second.locator('#error').getAttribute('data-reason')).resolves.toBe('used');
    await expect(second.locator('#pass').count()).resolves.toBe(0);
    await second.screenshot({ path: artifactPath('start-used.png') });

    const late = await start({ userId: 'e2euser3' });
    p.sim.expireNonceTickets(p.appId);
    const third = await browser.newPage();
    await third.goto(late.url);
    await expect(third.locator('#error').getAttribute('data-reason')).resolves.toBe('expired');
  });
});
