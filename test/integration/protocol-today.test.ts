import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { dataKey, open } from '../../src/shared/platform/sealed';
import { registerExpectedOrder } from '../../src/shared/orders/registration';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Issue 16: the service against WeBank as today's pages describe it (the simulator's default)
 * and as the older ones did (SIM_LEGACY_SHAPES), for each point the issue lists.
 */
describe.each([
  ['current', false],
  ['legacy', true],
])('WeBank protocol, %s answer shapes', (_shapes, legacyShapes) => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({
      sim: { legacyShapes },
      env: {
        ARCHIVE_POLL_INTERVAL_MS: '300',
        ARCHIVE_POLL_ATTEMPTS: '3',
        RECOVERY_INTERVAL_MS: '200',
        // Long enough that only a front-end error's early lookup can make the sweeper ask.
        RECOVERY_QUIET_MINUTES: '60',
      },
      extraApps: [
        { key: 'ocr', product: 'ocr' },
        { key: 'rec', product: 'faceid', queryApi: 'queryfacerecord' },
        { key: 'photoonly', product: 'faceid', requiredFiles: ['photo'] },
      ],
    });
  }, 60_000);
  afterAll(async () => p.close());

  const find = (appId: string, orderNo: string) =>
    p.web.db.order.findUnique({
      where: { appId_orderNo: { appId, orderNo } },
      include: { evidence: { orderBy: { kind: 'asc' } }, timeline: { orderBy: { id: 'asc' } }, events: true },
    });
  const settled = (appId: string, orderNo: string, statuses = ['ARCHIVED']) =>
    eventually(async () => {
      const o = await find(appId, orderNo);
      return o && statuses.includes(o.status) ? o : undefined;
    }, 20_000);

  async function expectBytesAsServed(
    appId: string,
    orderNo: string,
    evidence: { kind: string; key: string; sha256: string }[],
  ) {
    const served = p.sim.servedMedia(appId, orderNo);
    for (const e of evidence) {
      const field = e.kind.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      const obj = await p.s3.client.send(new GetObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: e.key }));
      const bytes = Buffer.from(await obj.Body!.transformToByteArray());
      expect(bytes.equals(served[field]!)).toBe(true);
      expect(e.sha256).toBe(sha(bytes));
    }
  }

  test('(1, 2) when an OCR answer has empty crops, then the order is ARCHIVED in one polling round with its three images and its person sealed', async () => {
    const appId = p.appIds.ocr!;
    const orderNo = uid('oc');
    p.sim.createScan({ appId, orderNo, product: 'ocr', idNo: '11010119900307421X', name: '赵六', emptyCrops: true });
    expect((await redirectBack(p, orderNo, 'ocr')).status).toBe(302);
    const order = await settled(appId, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['back_photo', 'front_photo', 'head_photo']);
    await expectBytesAsServed(appId, orderNo, order.evidence);
    // One round: a single query with files, no re-download.
    const queries = p.sim.requests({ path: '/api/server/getOcrResult' }).filter((r) => r.query.order_no === orderNo);
    expect(queries).toHaveLength(1);
    const key = dataKey(p.cfg.DATA_ENCRYPTION_KEY);
    expect(open(order.idNoSealed!, key)).toBe('11010119900307421X');
    expect(open(order.nameSealed!, key)).toBe('赵六');
    const pii = JSON.parse(open(order.piiSealed!, key)) as Record<string, string>;
    expect(pii).toMatchObject({ sex: '男', nation: '汉', birth: '19900307' });
    expect(pii.address).toBeTruthy();
    expect(pii.authority).toBeTruthy();
    const details = order.details as Record<string, unknown>;
    expect(details).toMatchObject({ frontCode: '0', backCode: '0', filesNotProvided: ['front_crop', 'back_crop'] });
    expect(details.validDate).toBeTruthy();
    expect(JSON.stringify(details)).not.toMatch(/赵六|11010119900307421X/);
    const archived = order.timeline.find((t) => t.type === 'archived');
    expect(archived?.detail).toMatchObject({ notProvidedByWebank: ['front_crop', 'back_crop'] });
  });

  test('(3) when an app is configured for queryfacerecord, then its photo and video are archived through it, late files included', async () => {
    const appId = p.appIds.rec!;
    const orderNo = uid('qr');
    p.sim.createScan({ appId, orderNo, fileDelayMs: 700 });
    expect((await redirectBack(p, orderNo, 'rec')).status).toBe(302);
    const order = await settled(appId, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    await expectBytesAsServed(appId, orderNo, order.evidence);
    expect(order.similarity).toBeTruthy();
    expect(order.details).toMatchObject({ sdkVersion: '1.0.0' });
    const calls = p.sim.requests({ path: '/api/v2/base/queryfacerecord' }).filter((r) => r.query.orderNo === orderNo);
    expect(calls.length).toBeGreaterThanOrEqual(2); // the files lagged the result
    expect(calls.every((r) => r.method === 'POST' && r.code === '0')).toBe(true);
    // Only what was still missing was asked for again.
    expect(calls[0]!.query.getFile).toBe('1');
    expect(p.sim.requests({ path: '/api/server/sync' }).some((r) => r.query.order_no === orderNo)).toBe(false);
  });

  test('(3) when queryfacerecord has no result (66660011), then the order ends NO_RESULT', async () => {
    const appId = p.appIds.rec!;
    const orderNo = uid('qn');
    // A risk-controlled scan: the signed redirect says 66660011 and so does the query.
    expect(p.sim.createScan({ appId, orderNo, outcome: 'risk' }).code).toBe('66660011');
    expect((await redirectBack(p, orderNo, 'rec')).status).toBe(302);
    const order = await settled(appId, orderNo, ['NO_RESULT']);
    expect(order.resultCode).toBe('66660011');
    expect(order.evidence).toHaveLength(0);
    const calls = p.sim.requests({ path: '/api/v2/base/queryfacerecord' }).filter((r) => r.query.orderNo === orderNo);
    expect(calls.map((r) => r.code)).toContain('66660011');
  });

  test('(4) when the H5 page redirects with a front-end error, then the user gets a failure page, the console an event, and a registered order an early lookup', async () => {
    const orderNo = uid('fe');
    const app = p.cfg.apps[0]!;
    await registerExpectedOrder(p.web.db, p.cfg, app, { orderNo });
    const q = new URLSearchParams(p.sim.frontendErrorQuery(p.appId, orderNo, '3004'));
    const res = await fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('无摄像头权限');
    expect(page).toMatch(/重新进入|try again/i);
    const order = await find(p.appId, orderNo);
    expect(order!.status).toBe('EXPECTED'); // never trusted as a result
    const events = await p.web.db.callbackEvent.findMany({ where: { appId: p.appId, orderNo } });
    expect(events.map((e) => [e.verdict, e.code])).toEqual([['frontend_error', '3004']]);
    expect(order!.timeline.map((t) => t.type)).toContain('frontend_error');
    // The sweeper asks WeBank once, now, rather than after its 60-minute quiet period.
    await eventually(async () =>
      p.sim.requests({ path: '/api/server/sync' }).some((r) => r.query.order_no === orderNo),
    );
  });

  test('(4) when a front-end error names an order we never saw, then the page is shown and the event kept, no 400', async () => {
    const orderNo = uid('fu');
    const res = await fetch(`${p.web.url}${p.cfg.CALLBACK_PATH}?code=3001&orderNo=${orderNo}`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(await find(p.appId, orderNo)).toBeNull();
    const events = await p.web.db.callbackEvent.findMany({ where: { appId: p.appId, orderNo } });
    expect(events.map((e) => e.verdict)).toEqual(['frontend_error']);
  });

  test('(5) when WeBank answers 15 (Token 过期), then the ticket is refreshed and the query asked again in the same attempt', async () => {
    const orderNo = uid('tk');
    p.sim.createScan({ appId: p.appId, orderNo });
    p.sim.answerQueriesWith('15');
    await redirectBack(p, orderNo);
    const order = await settled(p.appId, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    const queries = p.sim.requests({ path: '/api/server/sync' }).filter((r) => r.query.order_no === orderNo);
    expect(queries.map((r) => r.code)).toEqual(['15', '0']);
    // Refreshed (the keeper decides whether the young ticket really needs replacing) and asked
    // again within the attempt: not a failed attempt, as an unknown code would be.
    expect(order.archiveAttempts).toBe(1);
    expect(order.timeline.map((t) => t.type)).not.toContain('archive_retry');
  });

  test('(6) when a mode produces no video, then an app requiring only the photo archives it and records the video as not provided', async () => {
    const appId = p.appIds.photoonly!;
    const orderNo = uid('po');
    p.sim.createScan({ appId, orderNo, withoutFiles: ['video'] });
    await redirectBack(p, orderNo, 'photoonly');
    const order = await settled(appId, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo']);
    expect(order.details).toMatchObject({ filesNotProvided: ['video'] });
  });

  test('(6) when a mode produces no video for an app requiring both, then the order waits for it (EVIDENCE_PENDING)', async () => {
    const orderNo = uid('pv');
    p.sim.createScan({ appId: p.appId, orderNo, withoutFiles: ['video'] });
    await redirectBack(p, orderNo);
    const order = await settled(p.appId, orderNo, ['EVIDENCE_PENDING', 'EVIDENCE_MISSING']);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo']);
    expect(order.lastError).toMatch(/video/);
  });
});
