import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { eventually, redirectBack, startPipeline, type Pipeline } from '../support/pipeline';
import { S3_IMPLEMENTATIONS } from '../support/s3-implementations';
import { uid } from '../support/web-harness';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// The whole archive path (WeBank answer → base64 stream → S3) on each S3 implementation, with the
// service's default S3 settings: what a partner's MinIO, Ceph or COS gets.
describe.each(S3_IMPLEMENTATIONS)('evidence archiver on %s', (_name, start) => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline({ s3: start });
  });
  afterAll(async () => p?.close());

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
    }, 30_000);

    const served = p.sim.servedMedia(p.appId, orderNo);
    expect(order.evidence.map((e) => e.kind)).toEqual(['photo', 'video']);
    expect(served.video!.length).toBe(12 * MiB);
    for (const ev of order.evidence) {
      const original = served[ev.kind]!;
      const res = await p.s3.client.send(new GetObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: ev.key }));
      const stored = Buffer.from(await res.Body!.transformToByteArray());
      expect(stored.equals(original)).toBe(true);
      expect(ev.sha256).toBe(sha256(original));
      expect(Number(ev.bytes)).toBe(original.length);
      const head = await p.s3.client.send(new HeadObjectCommand({ Bucket: p.cfg.S3_BUCKET, Key: ev.key }));
      expect(head.Metadata?.sha256).toBe(ev.sha256);
      expect(head.ContentType).toBe(ev.kind === 'video' ? 'video/mp4' : 'image/jpeg');
      await expect(p.evidence.verify(ev.key, ev.sha256)).resolves.toMatchObject({ ok: true });
    }
  });
});
