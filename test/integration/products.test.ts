import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { dataKey, open } from '../../src/shared/platform/sealed';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { uid } from '../support/web-harness';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('liveness and ID-card OCR products', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({
      env: { ARCHIVE_POLL_INTERVAL_MS: '200' },
      extraApps: [
        { key: 'live', product: 'liveness' },
        { key: 'ocr', product: 'ocr' },
      ],
    });
  });
  afterAll(async () => p.close());

  const archived = (appId: string, orderNo: string) =>
    eventually(async () => {
      const o = await p.web.db.order.findUnique({
        where: { appId_orderNo: { appId, orderNo } },
        include: { evidence: { orderBy: { kind: 'asc' } } },
      });
      return o?.status === 'ARCHIVED' ? o : undefined;
    });

  async function expectStoredAsServed(
    appId: string,
    orderNo: string,
    evidence: { kind: string; key: string; sha256: string }[],
  ) {
    const served = p.sim.servedMedia(appId, orderNo);
    const byKind = (kind: string) => served[kind.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())]!;
    for (const e of evidence) {
      const obj = await p.s3.client.send(new GetObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: e.key }));
      const bytes = Buffer.from(await obj.Body!.transformToByteArray());
      expect(bytes.equals(byKind(e.kind))).toBe(true);
      expect(e.sha256).toBe(sha(bytes));
    }
  }

  test('when a liveness scan passes, then getLiveResult is queried and its photo and video archived', async () => {
    const appId = p.appIds.live!;
    const orderNo = uid('lv');
    p.sim.createScan({ appId, orderNo, product: 'liveness' });
    expect((await redirectBack(p, orderNo, 'live')).status).toBe(302);
    const order = await archived(appId, orderNo);
    expect(order.product).toBe('liveness');
    expect(order.liveRate).toBeTruthy();
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    await expectStoredAsServed(appId, orderNo, order.evidence);
    expect(
      p.sim.requests({ path: '/api/server/getLiveResult' }).some((r) => r.query.order_no === orderNo && r.code === '0'),
    ).toBe(true);
  });

  test('when an ID card is recognised on both sides, then its five images are archived and personal fields sealed', async () => {
    const appId = p.appIds.ocr!;
    const orderNo = uid('oc');
    p.sim.createScan({ appId, orderNo, product: 'ocr', idNo: '11010119900307421X', name: '赵六' });
    await redirectBack(p, orderNo, 'ocr');
    const order = await archived(appId, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual([
      'back_crop',
      'back_photo',
      'front_crop',
      'front_photo',
      'head_photo',
    ]);
    await expectStoredAsServed(appId, orderNo, order.evidence);
    expect(order.details).toMatchObject({ frontCode: '0', backCode: '0' });
    const key = dataKey(p.cfg.DATA_ENCRYPTION_KEY);
    expect(open(order.idNoSealed!, key)).toBe('11010119900307421X');
    expect(open(order.nameSealed!, key)).toBe('赵六');
    const pii = JSON.parse(open(order.piiSealed!, key)) as Record<string, string>;
    expect(pii.address).toBeTruthy();
    expect(JSON.stringify(order.details)).not.toMatch(/赵六|11010119900307421X/);
  });

  test("when only the front side is recognised, then its images are archived and the back side's code recorded", async () => {
    const appId = p.appIds.ocr!;
    const orderNo = uid('oc');
    p.sim.createScan({ appId, orderNo, product: 'ocr', ocr: { front: true, back: false } });
    await redirectBack(p, orderNo, 'ocr');
    const order = await archived(appId, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['front_crop', 'front_photo', 'head_photo']);
    const details = order.details as Record<string, string>;
    expect(details.frontCode).toBe('0');
    expect(details.backCode).not.toBe('0');
    await expectStoredAsServed(appId, orderNo, order.evidence);
  });
});
