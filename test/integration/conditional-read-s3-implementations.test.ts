import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { EmulatedS3 } from '../../src/dev/s3-emulator';
import { EvidenceStore } from '../../src/shared/evidence/evidence-store';
import { loadConfig } from '../../src/shared/platform/config';
import { fixture } from '../../src/simulator/media';
import { S3_IMPLEMENTATIONS } from '../support/s3-implementations';

/**
 * The console serves a video's byte ranges only from an object verified whole, read with
 * If-Match on the ETag it had then (compliance/evidence-reader.ts): both S3 implementations must
 * honour that condition, so an overwrite after the check is noticed.
 */
const VIDEO = fixture('face.mp4');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(S3_IMPLEMENTATIONS)('conditional ranged reads on %s', (_name, start) => {
  let s3: EmulatedS3;
  let store: EvidenceStore;
  beforeAll(async () => {
    s3 = await start();
    store = EvidenceStore.fromConfig(loadConfig({ ...process.env, ...s3.s3Env }));
  }, 60_000);
  afterAll(async () => {
    store?.close();
    await s3?.stop();
  });

  test('when read If-Match the verified ETag, then the range comes; once overwritten, evidence_changed', async () => {
    const stored = await store.put({
      key: { appId: 'TIDAcond01', orderNo: 'COND1', date: new Date('2026-12-02T08:00:00Z'), kind: 'video' },
      body: Readable.from([VIDEO]),
      expectedType: 'video/mp4',
    });
    const verified = await store.verify(stored.key, sha256(VIDEO));
    expect(verified.ok).toBe(true);
    expect(verified.etag).toBeTruthy();
    const range = await store.get(stored.key, 'bytes=10-19', { ifMatch: verified.etag });
    expect(
      Buffer.from(await range.body.toArray().then((c) => Buffer.concat(c as Buffer[]))).equals(VIDEO.subarray(10, 20)),
    ).toBe(true);

    const altered = Buffer.from(VIDEO);
    altered[15] = altered[15]! ^ 0xff;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: stored.key, Body: altered }));
    await expect(store.get(stored.key, 'bytes=10-19', { ifMatch: verified.etag })).rejects.toMatchObject({
      code: 'evidence_changed',
    });
  }, 60_000);
});
