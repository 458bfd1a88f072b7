/**
 * `npm run docs:screenshots`: the PNGs in docs/ that docs/console.md shows, drawn in Chromium
 * from test data (the console test harness: PostgreSQL, Redis, fauxqs, seeded orders), in
 * Chinese, so they stay current with the pages. Needs DATABASE_URL / REDIS_URL like the tests
 * (a migrated test database), Chromium at /usr/bin/chromium (or CHROMIUM_PATH) and a CJK font.
 */
import path from 'node:path';
import './env';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { verifyOrderEvidence } from '../../src/shared/compliance/integrity';
import { loadOrderRecord } from '../../src/shared/compliance/order-record';
import { createUser, seedOrder, startConsole, uid, VIDEO } from '../console/harness';
import { launchChromium } from './browser';

const DOCS = path.join(__dirname, '../../docs');

async function main(): Promise<void> {
  const [h, browser] = await Promise.all([startConsole(), launchChromium()]);
  try {
    const admin = await createUser(h, 'admin');
    // A small, varied day: passed, failed, no result, an OCR order with a failed back side.
    const day = Date.now();
    const orders = [];
    for (const [i, resultCode, status] of [
      [0, '0', 'ARCHIVED'],
      [1, '66660018', 'ARCHIVED'],
      [2, '66660011', 'NO_RESULT'],
      [3, '0', 'ARCHIVED'],
      [4, '66660015', 'ARCHIVED'],
    ] as const)
      orders.push(
        await seedOrder(h, {
          orderNo: `DOC2026${1000 + i}`,
          resultCode,
          status,
          createdAt: new Date(day - i * 600_000),
        }),
      );
    const ocr = await seedOrder(h, { orderNo: 'DOC2026OCR1', resultCode: '0', createdAt: new Date(day - 3_600_000) });
    await h.db.order.update({
      where: { id: ocr.id },
      data: { product: 'ocr', details: { frontCode: '0', backCode: '-9102' } },
    });
    const forged = `FAKE${uid().slice(0, 6).toUpperCase()}`;
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

    // Needs attention: a video altered in S3 (found by a verify) and an order whose files never came.
    const tampered = await seedOrder(h, { orderNo: 'DOC2026TAMP', createdAt: new Date(day - 7_200_000) });
    const altered = Buffer.from(VIDEO);
    altered[2048] = altered[2048]! ^ 0xff;
    await h.evidence.client.send(new PutObjectCommand({ Bucket: h.s3.bucket, Key: tampered.videoKey, Body: altered }));
    await verifyOrderEvidence(h, await loadOrderRecord(h.db, tampered.id), {
      actor: 'system:docs',
      actorRole: 'system',
    });
    const missing = await seedOrder(h, { orderNo: 'DOC2026MISS', status: 'EVIDENCE_MISSING' });
    await h.db.evidence.deleteMany({ where: { orderId: missing.id } });
    await h.db.order.update({ where: { id: missing.id }, data: { lastError: 'missing photo, video' } });

    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${h.base}/login`);
    await page.fill('input[name=username]', admin.username);
    await page.fill('input[name=password]', admin.password);
    await Promise.all([page.waitForURL(`${h.base}/`), page.click('button[type=submit]')]);

    const shots: [string, string][] = [
      ['console-orders.png', '/?q=DOC2026'],
      ['console-order.png', `/orders/${orders[1]!.id}`],
      ['console-order-ocr.png', `/orders/${ocr.id}`],
      ['console-callbacks.png', '/callbacks?limit=12'],
    ];
    shots.push(['console-attention.png', '/attention'], ['console-order-integrity.png', `/orders/${tampered.id}`]);
    for (const [file, url] of shots) {
      await page.goto(`${h.base}${url}`);
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: path.join(DOCS, file), fullPage: true });
      process.stdout.write(`docs/${file}\n`);
    }
    await context.close();
  } finally {
    await browser.close();
    await h.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`docs:screenshots failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
