import { eventually, expectStoredAsServed, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { S3_IMPLEMENTATIONS } from '../support/s3-implementations';
import { uid } from '../support/web-harness';

const MiB = 1024 * 1024;

// The whole archive path (WeBank answer → base64 stream → S3) on each S3 implementation, with the
// service's default S3 settings: what a partner's MinIO, Ceph or COS gets.
describe.each(S3_IMPLEMENTATIONS)('evidence archiver on %s', (_name, start) => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ s3: start });
  }, 60_000);
  afterAll(async () => p?.close());

  // 12 MiB as base64 through WeBank's answer and into S3: seconds, more on a loaded machine.
  test('when a scan with a photo and a 12 MiB video (multipart) is archived, then both are stored byte-identical with their SHA-256', async () => {
    const orderNo = uid('o');
    p.sim.createScan({ appId: p.appId, orderNo, videoBytes: 12 * MiB });
    expect((await redirectBack(p, orderNo)).status).toBe(302);
    const order = await eventually(async () => {
      const o = await p.web.db.order.findUniqueOrThrow({
        where: { appId_orderNo: { appId: p.appId, orderNo } },
        include: { evidence: { orderBy: { kind: 'asc' } } },
      });
      return o.status === 'ARCHIVED' ? o : undefined;
    }, 90_000);

    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    expect(p.sim.servedMedia(p.appId, orderNo).video!.length).toBe(12 * MiB);
    await expectStoredAsServed(p, orderNo, order.evidence);
    for (const ev of order.evidence)
      await expect(p.evidence.verify(ev.key, ev.sha256)).resolves.toMatchObject({ ok: true });
  }, 120_000);
});
