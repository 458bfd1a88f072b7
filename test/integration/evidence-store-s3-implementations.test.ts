import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { EmulatedS3 } from '../../src/dev/s3-emulator';
import { startS3rver } from '../../src/dev/s3rver';
import { EvidenceStore } from '../../src/shared/evidence/evidence-store';
import { createS3Client } from '../../src/shared/evidence/s3-client';
import { loadConfig } from '../../src/shared/platform/config';
import { fixture } from '../../src/simulator/media';
import {
  connectToLoopback,
  observeRequests,
  S3_IMPLEMENTATIONS,
  type SentRequest,
} from '../support/s3-implementations';

// The evidence path on two independent S3 implementations, as configured by default: the
// checksum, addressing and encryption choices that must hold on AWS S3, MinIO, Ceph and COS alike.
const MiB = 1024 * 1024;
// Each case moves 12 MiB objects through an emulator: seconds, more on a loaded machine.
jest.setTimeout(60_000);
const ORDER = { appId: 'TIDAcompat01', orderNo: 'COMPAT20261202', date: new Date('2026-12-02T08:00:00Z') };
const PHOTO = fixture('face.jpg');
/** Above the 5 MiB part size (multipart, three parts) and above fauxqs's 11 MiB single-PUT limit. Random, so a misplaced part shows. */
const VIDEO = Buffer.concat([fixture('face.mp4'), randomBytes(12 * MiB - fixture('face.mp4').length)]);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunked = (data: Buffer, size = 64 * 1024) => {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
};
async function rawBytes(s3: EmulatedS3, key: string, bucket = s3.bucket): Promise<Buffer> {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}
/** Flexible-checksum and aws-chunked traces in a request: what older S3-compatible stores reject. */
const checksumHeaders = (r: SentRequest) =>
  Object.entries(r.headers).filter(
    ([k, v]) =>
      /^x-amz-(checksum-|sdk-checksum-algorithm|trailer|decoded-content-length)/.test(k) ||
      (k === 'content-encoding' && v.includes('aws-chunked')) ||
      (k === 'x-amz-content-sha256' && v.startsWith('STREAMING-')),
  );

describe.each(S3_IMPLEMENTATIONS)('EvidenceStore on %s', (_name, start) => {
  let s3: EmulatedS3;
  beforeAll(async () => {
    s3 = await start();
  });
  afterAll(async () => s3?.stop());

  /** A store configured as the service configures it (S3_* variables, defaults for the rest). */
  const storeFromEnv = (env: Record<string, string> = {}) =>
    EvidenceStore.fromConfig(loadConfig({ ...process.env, ...s3.s3Env, ...env }));

  describe('with a photo and a 12 MiB video stored as configured by default', () => {
    /** The requests the two puts sent. */
    let sent: SentRequest[];
    let observed: SentRequest[];
    let photo: Awaited<ReturnType<EvidenceStore['put']>>;
    let video: Awaited<ReturnType<EvidenceStore['put']>>;
    let store: EvidenceStore;

    beforeAll(async () => {
      store = storeFromEnv();
      observed = observeRequests(store.client);
      photo = await store.put({ key: { ...ORDER, kind: 'photo' }, body: chunked(PHOTO), expectedType: 'image/jpeg' });
      video = await store.put({ key: { ...ORDER, kind: 'video' }, body: chunked(VIDEO), expectedType: 'video/mp4' });
      sent = [...observed];
    });
    afterAll(() => store?.close());

    it('then both come back byte-identical, their SHA-256 recorded in the metadata and re-verified', async () => {
      expect(photo).toMatchObject({ bytes: PHOTO.length, sha256: sha256(PHOTO), contentType: 'image/jpeg' });
      expect(video).toMatchObject({ bytes: VIDEO.length, sha256: sha256(VIDEO), contentType: 'video/mp4' });
      for (const [stored, original] of [
        [photo, PHOTO],
        [video, VIDEO],
      ] as const) {
        expect((await rawBytes(s3, stored.key)).equals(original)).toBe(true);
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: stored.key }));
        expect(head).toMatchObject({ ContentLength: original.length, Metadata: { sha256: sha256(original) } });
        await expect(store.verify(stored.key, sha256(original))).resolves.toMatchObject({ ok: true });
      }
    });

    it('then the photo went as one PutObject and the video as three parts, stamped with its hash by a copy', () => {
      expect(sent.map((r) => r.command)).toEqual([
        'PutObjectCommand',
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
        'CopyObjectCommand',
      ]);
      expect(sent[0]!.headers['x-amz-content-sha256']).toBe(sha256(PHOTO));
    });

    it('then no request carried a flexible checksum or aws-chunked encoding (S3_CHECKSUMS=when_required)', () => {
      expect(sent.flatMap(checksumHeaders)).toEqual([]);
    });

    it('then reads ask for no checksum and serve byte ranges', async () => {
      const from = observed.length;
      const range = await store.get(video.key, 'bytes=5242870-5242889');
      const parts: Buffer[] = [];
      for await (const c of range.body) parts.push(c as Buffer);
      expect(Buffer.concat(parts).equals(VIDEO.subarray(5242870, 5242890))).toBe(true);
      expect(range).toMatchObject({ partial: true, totalBytes: VIDEO.length, contentLength: 20 });
      const reads = observed.slice(from);
      expect(reads.map((r) => [r.command, r.headers['x-amz-checksum-mode']])).toEqual([
        ['GetObjectCommand', undefined],
      ]);
    });
  });

  it('when SSE is configured, then every write asks for it (PutObject, CreateMultipartUpload, the stamping copy) and no part does', async () => {
    const store = storeFromEnv({ S3_SSE: 'AES256' });
    const sent = observeRequests(store.client);
    const photo = await store.put({ key: { ...ORDER, orderNo: 'SSE1', kind: 'photo' }, body: chunked(PHOTO) });
    const video = await store.put({ key: { ...ORDER, orderNo: 'SSE1', kind: 'video' }, body: chunked(VIDEO) });
    store.close();
    const sse = (command: string) =>
      sent.filter((r) => r.command === command).map((r) => r.headers['x-amz-server-side-encryption']);
    expect(sse('PutObjectCommand')).toEqual(['AES256']);
    expect(sse('CreateMultipartUploadCommand')).toEqual(['AES256']);
    expect(sse('CopyObjectCommand')).toEqual(['AES256']);
    // S3 refuses SSE headers on UploadPart (the upload's own setting applies).
    expect(sse('UploadPartCommand')).toEqual([undefined, undefined, undefined]);
    expect((await rawBytes(s3, photo.key)).equals(PHOTO)).toBe(true);
    expect((await rawBytes(s3, video.key)).equals(VIDEO)).toBe(true);
  });

  it('when SSE-KMS is configured with a key, then writes name the key', async () => {
    const store = storeFromEnv({ S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: 'kms-key-1' });
    const sent = observeRequests(store.client);
    await store.put({ key: { ...ORDER, orderNo: 'KMS1', kind: 'video' }, body: chunked(VIDEO) });
    store.close();
    const writes = sent.filter((r) => /^(PutObject|CreateMultipartUpload|CopyObject)Command$/.test(r.command));
    expect(writes.map((r) => r.command)).toEqual(['CreateMultipartUploadCommand', 'CopyObjectCommand']);
    for (const w of writes)
      expect(w.headers).toMatchObject({
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'kms-key-1',
      });
  });
});

describe('EvidenceStore on s3rver, virtual-hosted style', () => {
  let s3: EmulatedS3;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => s3?.stop());

  it('when S3_FORCE_PATH_STYLE=false, then the bucket is in the host name and a photo and a multipart video round-trip', async () => {
    const cfg = loadConfig({
      ...process.env,
      ...s3.s3Env,
      S3_ENDPOINT: s3.virtualHostedEndpoint!,
      S3_FORCE_PATH_STYLE: 'false',
    });
    const store = EvidenceStore.fromConfig(cfg);
    const sent = observeRequests(store.client);
    connectToLoopback(store.client);
    const photo = await store.put({ key: { ...ORDER, orderNo: 'VHOST1', kind: 'photo' }, body: chunked(PHOTO) });
    const video = await store.put({ key: { ...ORDER, orderNo: 'VHOST1', kind: 'video' }, body: chunked(VIDEO) });
    await store.ping();
    store.close();
    expect(new Set(sent.map((r) => r.hostname))).toEqual(new Set([`${s3.bucket}.s3.localhost`]));
    expect(sent.every((r) => !r.path.includes(s3.bucket))).toBe(true);
    // The same objects, read path-style by another client: one bucket, two addressing styles.
    expect((await rawBytes(s3, photo.key)).equals(PHOTO)).toBe(true);
    expect((await rawBytes(s3, video.key)).equals(VIDEO)).toBe(true);
    expect(video.sha256).toBe(sha256(VIDEO));
  });

  it("when the SDK's default checksums stream a body (when_supported), then s3rver keeps the aws-chunked framing; when_required stores it intact", async () => {
    // Why S3_CHECKSUMS defaults to when_required: a store that does not decode aws-chunked
    // uploads (as s3rver, and stores some partners run) would keep the wrong bytes.
    const data = randomBytes(100_000);
    const stored: Record<string, Buffer> = {};
    const encodings: Record<string, string | undefined> = {};
    for (const checksums of ['when_required', 'when_supported'] as const) {
      const { endpoint, region, credentials } = s3;
      const client = createS3Client({ endpoint, region, credentials, forcePathStyle: true, checksums });
      const sent = observeRequests(client);
      const body = Readable.from([data.subarray(0, 50_000), data.subarray(50_000)], { objectMode: false });
      const key = `quirk/${checksums}`;
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, ContentLength: data.length }));
      client.destroy();
      encodings[checksums] = sent[0]!.headers['content-encoding'];
      stored[checksums] = await rawBytes(s3, key);
    }
    expect(encodings).toEqual({ when_required: undefined, when_supported: 'aws-chunked' });
    expect(stored.when_required!.equals(data)).toBe(true);
    expect(stored.when_supported!.equals(data)).toBe(false);
  });
});

describe('S3 checksum configuration', () => {
  it('when S3_CHECKSUMS is unset, then even on AWS S3 (no endpoint) the client computes and validates checksums only when required', async () => {
    const store = EvidenceStore.fromConfig(loadConfig({ ...process.env, S3_ENDPOINT: '' }));
    await expect(store.client.config.requestChecksumCalculation()).resolves.toBe('WHEN_REQUIRED');
    await expect(store.client.config.responseChecksumValidation()).resolves.toBe('WHEN_REQUIRED');
    store.close();
  });

  it('when S3_CHECKSUMS=when_supported, then the SDK default applies; any other value is refused', async () => {
    const store = EvidenceStore.fromConfig(loadConfig({ ...process.env, S3_CHECKSUMS: 'when_supported' }));
    await expect(store.client.config.requestChecksumCalculation()).resolves.toBe('WHEN_SUPPORTED');
    await expect(store.client.config.responseChecksumValidation()).resolves.toBe('WHEN_SUPPORTED');
    store.close();
    expect(() => loadConfig({ ...process.env, S3_CHECKSUMS: 'WHEN_REQUIRED' })).toThrow(/S3_CHECKSUMS/);
  });
});
