import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/shared/platform/config';
import { AppError } from '../../src/shared/platform/errors';
import { EvidenceStore, type EvidenceStoreOptions } from '../../src/shared/evidence/evidence-store';
import { unsignedPayloadAllowed } from '../../src/shared/evidence/sigv4-payload-hash';
import { evidenceKind } from '../../src/shared/evidence/keys';
import { parseWebankStream } from '../../src/shared/webank/response-stream';
import { startFauxqs, type FauxqsS3 } from '../support/fauxqs';

const MiB = 1024 * 1024;
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  randomBytes(2000),
  Buffer.from([0xff, 0xd9]),
]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(500)]);
const ORDER = { appId: 'TIDAtest0001', orderNo: 'ORDER20240501x1', date: new Date('2024-05-01T23:30:00Z') };

let s3: FauxqsS3;
let store: EvidenceStore;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function storeOn(bucket: string, extra: Partial<EvidenceStoreOptions> = {}): EvidenceStore {
  return new EvidenceStore({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    bucket,
    prefix: 'evidence',
    ...extra,
  });
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An MP4-like stream of `size` bytes in 64 KiB chunks (ftyp box first), hashing what it emits. */
function mp4Like(size: number, failAfter?: number): { stream: Readable; hash: () => string } {
  const hash = createHash('sha256');
  const head = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypisom'), Buffer.alloc(20)]);
  const block = randomBytes(64 * 1024);
  let digest: string | undefined;
  async function* generate() {
    let sent = 0;
    let i = 0;
    while (sent < size) {
      if (failAfter !== undefined && sent >= failAfter) throw new Error('camera feed lost');
      const chunk = Buffer.from(i === 0 ? Buffer.concat([head, block]).subarray(0, block.length) : block).subarray(
        0,
        size - sent,
      );
      chunk.writeUInt32BE(i++, chunk.length >= 40 ? 36 : 0);
      hash.update(chunk);
      sent += chunk.length;
      yield chunk;
    }
  }
  return { stream: Readable.from(generate(), { objectMode: false }), hash: () => (digest ??= hash.digest('hex')) };
}

/** A buffer as a stream of 64 KiB chunks. */
function mp4LikeChunks(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 64 * 1024) chunks.push(data.subarray(i, i + 64 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

/** Observes the requests a client really sends (command name and HTTP headers); no stubbing. */
function recordRequests(
  client: S3Client,
): Array<{ command: string; headers: Record<string, string>; bodySha256?: string }> {
  const seen: Array<{ command: string; headers: Record<string, string>; bodySha256?: string }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const body =
        request.body instanceof Uint8Array
          ? sha256(Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength))
          : undefined;
      seen.push({ command: String(context.commandName), headers: { ...(request.headers ?? {}) }, bodySha256: body });
      return next(args);
    },
    // After signing: the headers as sent, Authorization included.
    { step: 'finalizeRequest', name: 'recordRequestsForTest', priority: 'low' },
  );
  return seen;
}

beforeAll(async () => {
  s3 = await startFauxqs();
  store = storeOn(s3.bucket);
});

afterAll(async () => {
  store?.close();
  await s3?.stop();
});

describe('EvidenceStore', () => {
  it('when a small JPEG is stored by its key parts, then it round-trips with its type, size and SHA-256', async () => {
    const stored = await store.put({
      key: { ...ORDER, kind: 'photo' },
      body: Readable.from([JPEG]),
      expectedType: 'image/jpeg',
    });
    expect(stored).toEqual({
      key: 'evidence/TIDAtest0001/2024/05/01/ORDER20240501x1/photo.jpg',
      bytes: JPEG.length,
      sha256: sha256(JPEG),
      contentType: 'image/jpeg',
      detectedType: 'image/jpeg',
      typeMismatch: false,
    });
    const raw = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: stored.key }));
    expect(raw.Metadata).toEqual({ sha256: sha256(JPEG) });
    expect(await store.head(stored.key)).toMatchObject({
      bytes: JPEG.length,
      contentType: 'image/jpeg',
      sha256: sha256(JPEG),
    });
    const read = await store.get(stored.key);
    expect(read).toMatchObject({
      contentLength: JPEG.length,
      totalBytes: JPEG.length,
      partial: false,
      contentType: 'image/jpeg',
    });
    expect(await readAll(read.body)).toEqual(JPEG);
    await expect(store.verify(stored.key, sha256(JPEG))).resolves.toMatchObject({ ok: true, bytes: JPEG.length });
  });

  it('when an object fits in one part, then it goes as one PutObject carrying its SHA-256, signed with that hash, with no copy', async () => {
    const observed = storeOn(s3.bucket);
    const requests = recordRequests(observed.client);
    const exact = Buffer.concat([JPEG, randomBytes(5 * MiB - JPEG.length)]);
    const stored = await observed.put({
      key: { ...ORDER, orderNo: 'ONEPART1', kind: 'photo' },
      body: mp4LikeChunks(exact),
    });
    observed.close();
    expect(stored).toMatchObject({ bytes: 5 * MiB, sha256: sha256(exact), contentType: 'image/jpeg' });
    expect(requests.map((r) => r.command)).toEqual(['PutObjectCommand']);
    const put = requests[0]!;
    expect(put.headers['x-amz-meta-sha256']).toBe(sha256(exact));
    // SigV4's payload hash is the SHA-256 of the body actually sent, and it is signed.
    expect(put.headers['x-amz-content-sha256']).toBe(put.bodySha256);
    expect(put.headers['x-amz-content-sha256']).toBe(sha256(exact));
    expect(put.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
    const raw = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: stored.key }));
    expect(raw).toMatchObject({
      ContentLength: 5 * MiB,
      ContentType: 'image/jpeg',
      Metadata: { sha256: sha256(exact) },
    });
    expect((await readAll((await store.get(stored.key)).body)).equals(exact)).toBe(true);
  });

  it('when objects of any size around the small-object limit (256 KiB) stream in, in chunks of any size, then each is stored byte-identical with its SHA-256', async () => {
    for (const size of [0, 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 1024 * 1024 + 7]) {
      for (const chunk of [1000, 64 * 1024]) {
        const data = Buffer.concat([JPEG, randomBytes(Math.max(0, size - JPEG.length))]).subarray(0, size);
        const chunks: Buffer[] = [];
        for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
        const stored = await store.put({
          key: `evidence/tmp/sizes-${size}-${chunk}`,
          body: Readable.from(chunks, { objectMode: false }),
        });
        expect(stored).toMatchObject({ bytes: size, sha256: sha256(data) });
        expect((await readAll((await store.get(stored.key)).body)).equals(data)).toBe(true);
        await store.delete(stored.key);
      }
    }
  });

  it('when an object is one byte over a part, then it goes as a multipart upload of two parts and is stamped with its SHA-256', async () => {
    const observed = storeOn(s3.bucket);
    const requests = recordRequests(observed.client);
    const over = Buffer.concat([JPEG, randomBytes(5 * MiB + 1 - JPEG.length)]);
    const stored = await observed.put({
      key: { ...ORDER, orderNo: 'TWOPART1', kind: 'photo' },
      body: mp4LikeChunks(over),
    });
    observed.close();
    expect(requests.map((r) => r.command)).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'CopyObjectCommand',
    ]);
    expect(stored).toMatchObject({ bytes: over.length, sha256: sha256(over) });
    expect(await store.head(stored.key)).toMatchObject({
      bytes: over.length,
      sha256: sha256(over),
      contentType: 'image/jpeg',
    });
    expect((await readAll((await store.get(stored.key)).body)).equals(over)).toBe(true);
  });

  it('then parts are signed with UNSIGNED-PAYLOAD only over HTTPS or loopback, never over plain HTTP to another host', () => {
    expect(unsignedPayloadAllowed(undefined)).toBe(true); // AWS S3: HTTPS
    expect(unsignedPayloadAllowed('https://cos.ap-guangzhou.myqcloud.com')).toBe(true);
    expect(unsignedPayloadAllowed('https://minio.internal:9000')).toBe(true);
    expect(unsignedPayloadAllowed('http://127.0.0.1:4566')).toBe(true);
    expect(unsignedPayloadAllowed('http://localhost:9000')).toBe(true);
    expect(unsignedPayloadAllowed('http://[::1]:9000')).toBe(true);
    expect(unsignedPayloadAllowed('http://minio:9000')).toBe(false);
    expect(unsignedPayloadAllowed('http://10.0.0.5:9000')).toBe(false);
    expect(unsignedPayloadAllowed('http://127.0.0.1.example.com')).toBe(false);
    expect(unsignedPayloadAllowed('not a url')).toBe(false);
  });

  describe('with a 30 MB video streamed in', () => {
    let key: string;
    let content: Buffer;
    let requests: ReturnType<typeof recordRequests>;

    beforeAll(async () => {
      const video = mp4Like(30 * MiB);
      const observed = storeOn(s3.bucket);
      requests = recordRequests(observed.client);
      const stored = await observed.put({
        key: { ...ORDER, kind: 'video' },
        body: video.stream,
        expectedType: 'video/mp4',
      });
      observed.close();
      key = stored.key;
      expect(stored).toMatchObject({
        bytes: 30 * MiB,
        sha256: video.hash(),
        contentType: 'video/mp4',
        typeMismatch: false,
      });
      expect(key).toBe('evidence/TIDAtest0001/2024/05/01/ORDER20240501x1/video.mp4');
      content = await readAll((await store.get(key)).body);
    });

    it('then it went up in 5 MiB parts (the S3 minimum, keeping memory low) and comes back byte-identical with its SHA-256 recorded', async () => {
      const commands = requests.map((r) => r.command);
      expect(commands.filter((c) => c === 'UploadPartCommand')).toHaveLength(6);
      expect(commands).toEqual(
        expect.arrayContaining(['CreateMultipartUploadCommand', 'CompleteMultipartUploadCommand', 'CopyObjectCommand']),
      );
      expect(content.length).toBe(30 * MiB);
      const head = await store.head(key);
      expect(head).toMatchObject({ contentType: 'video/mp4', bytes: 30 * MiB, sha256: sha256(content) });
      await expect(store.verify(key, sha256(content))).resolves.toMatchObject({ ok: true, bytes: 30 * MiB });
    });

    it('then each part was signed with UNSIGNED-PAYLOAD (loopback), so the SDK did not hash the bytes a second time', () => {
      const parts = requests.filter((r) => r.command === 'UploadPartCommand');
      expect(parts).toHaveLength(6);
      for (const p of parts) {
        expect(p.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
        expect(p.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
      }
    });

    it('then byte ranges are served for seeking', async () => {
      const first = await store.get(key, 'bytes=0-99');
      expect(first).toMatchObject({
        contentLength: 100,
        contentRange: `bytes 0-99/${30 * MiB}`,
        partial: true,
        totalBytes: 30 * MiB,
        contentType: 'video/mp4',
      });
      expect(await readAll(first.body)).toEqual(content.subarray(0, 100));
      const middle = await store.get(key, 'bytes=20000000-20065535');
      expect(await readAll(middle.body)).toEqual(content.subarray(20000000, 20065536));
      const open = await store.get(key, `bytes=${30 * MiB - 10}-`);
      expect(await readAll(open.body)).toEqual(content.subarray(30 * MiB - 10));
      const suffix = await store.get(key, 'bytes=-16');
      expect(suffix.contentRange).toBe(`bytes ${30 * MiB - 16}-${30 * MiB - 1}/${30 * MiB}`);
      expect(await readAll(suffix.body)).toEqual(content.subarray(30 * MiB - 16));
    });

    it('then a malformed range is ignored and a range past the end is refused with the size', async () => {
      const whole = await store.get(key, 'bytes=0-1,5-6');
      expect(whole).toMatchObject({ partial: false, contentLength: 30 * MiB });
      whole.body.destroy();
      const err = await store.get(key, `bytes=${40 * MiB}-`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 416, code: 'range_not_satisfiable', details: { size: 30 * MiB } });
    });
  });

  it('when a 120 MB object streams through, then memory stays bounded by the parts in flight, not the size', async () => {
    const video = mp4Like(120 * MiB);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = Date.now();
    const stored = await store
      .put({ key: 'evidence/tmp/large.mp4', body: video.stream })
      .finally(() => clearInterval(sampler));
    const growth = peak - before;
    console.log(
      `120 MiB put: ${((120 * 1000) / (Date.now() - started)).toFixed(0)} MiB/s, RSS growth ${(growth / MiB).toFixed(1)} MiB`,
    );
    expect(stored).toMatchObject({ bytes: 120 * MiB, sha256: video.hash() });
    expect(growth).toBeLessThan(80 * MiB);
    await store.delete(stored.key);
  }, 60000);

  it('when a WeBank response streams in, then its photo and video go to S3 while the body is read', async () => {
    const video = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), randomBytes(20 * MiB)]);
    const text = `{"code":"0","msg":"ok","bizSeqNo":"B1","transactionTime":"20240501120000","result":{"orderNo":"STREAM1","photo":"${JPEG.toString('base64')}","video":"${video.toString('base64')}","liveRate":"99"}}`;
    const chunks: Buffer[] = [];
    for (let i = 0; i < text.length; i += 16 * 1024) chunks.push(Buffer.from(text.slice(i, i + 16 * 1024)));
    const parsed = await parseWebankStream(Readable.from(chunks, { objectMode: false }), {
      fileFields: ['photo', 'video'],
      onFile: (field, data) =>
        store.put({
          key: { ...ORDER, orderNo: 'STREAM1', kind: evidenceKind(field) },
          body: data,
          expectedType: field === 'photo' ? 'image/jpeg' : 'video/mp4',
        }),
    });
    expect(parsed.result).toEqual({ orderNo: 'STREAM1', liveRate: '99' });
    expect(parsed.files.photo).toMatchObject({ sha256: sha256(JPEG), contentType: 'image/jpeg', typeMismatch: false });
    expect(parsed.files.video).toMatchObject({
      sha256: sha256(video),
      bytes: video.length,
      contentType: 'video/mp4',
      typeMismatch: false,
    });
    await expect(store.verify(parsed.files.video!.key, sha256(video))).resolves.toMatchObject({ ok: true });
  });

  it('when the video in a response is corrupt, then the parse rejects and the video is not stored', async () => {
    const good = randomBytes(12 * MiB).toString('base64');
    const text = `{"code":"0","result":{"orderNo":"CORRUPT1","video":"AAAAGGZ0eXBtcDQy${good}!!!!"}}`;
    const key = store.keyFor({ ...ORDER, orderNo: 'CORRUPT1', kind: 'video' }, 'mp4');
    const err = await parseWebankStream(Readable.from([Buffer.from(text)], { objectMode: false }), {
      fileFields: ['video'],
      onFile: (field, data) =>
        store.put({ key: { ...ORDER, orderNo: 'CORRUPT1', kind: evidenceKind(field) }, body: data }),
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('MalformedResponseError');
    expect(await store.exists(key)).toBe(false);
  });

  it('when the object is overwritten behind our back, then verify reports it', async () => {
    const stored = await store.put({
      key: { ...ORDER, orderNo: 'TAMPER1', kind: 'photo' },
      body: Readable.from([JPEG]),
    });
    const altered = Buffer.from(JPEG);
    altered[1000] = altered[1000]! ^ 0xff;
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: stored.key,
        Body: altered,
        ContentType: 'image/jpeg',
        Metadata: { sha256: stored.sha256 },
      }),
    );
    const result = await store.verify(stored.key, stored.sha256);
    expect(result).toEqual({
      ok: false,
      actualSha256: sha256(altered),
      bytes: JPEG.length,
      recordedSha256: stored.sha256,
      // S3's ETag of the bytes hashed, for reads made conditional on this check.
      etag: expect.any(String),
    });
  });

  it('when the source fails midway through a multipart upload, then nothing is left: no object, no open upload', async () => {
    const bucket = await s3.newBucket('failing');
    const failing = storeOn(bucket);
    const requests = recordRequests(failing.client);
    const video = mp4Like(30 * MiB, 20 * MiB);
    const err = await failing.put({ key: { ...ORDER, kind: 'video' }, body: video.stream }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('camera feed lost');
    expect(video.stream.destroyed).toBe(true);
    const commands = requests.map((r) => r.command);
    expect(commands).toContain('UploadPartCommand');
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    expect(await failing.exists('evidence/TIDAtest0001/2024/05/01/ORDER20240501x1/video.mp4')).toBe(false);
    // fauxqs refuses to delete a bucket holding objects or unfinished multipart uploads.
    await expect(s3.client.send(new DeleteBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
    failing.close();
  });

  it('when the source fails before the first part is full, then nothing is stored', async () => {
    const source = Readable.from(
      (async function* () {
        yield JPEG;
        throw new Error('socket hang up');
      })(),
    );
    await expect(store.put({ key: 'evidence/tmp/early-failure.jpg', body: source })).rejects.toThrow('socket hang up');
    expect(await store.exists('evidence/tmp/early-failure.jpg')).toBe(false);
  });

  it('when the upload is aborted by the caller, then it rejects and nothing is stored', async () => {
    const bucket = await s3.newBucket('aborted');
    const aborting = storeOn(bucket);
    const controller = new AbortController();
    const video = mp4Like(30 * MiB);
    const put = aborting.put({ key: 'evidence/tmp/aborted.mp4', body: video.stream, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(put).rejects.toMatchObject({ name: 'AbortError' });
    expect(video.stream.destroyed).toBe(true);
    expect(await aborting.exists('evidence/tmp/aborted.mp4')).toBe(false);
    await expect(s3.client.send(new DeleteBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
    aborting.close();
  });

  it('when S3 refuses the upload, then put rejects and the source is released', async () => {
    const missing = storeOn('no-such-bucket-here');
    const source = Readable.from([JPEG]);
    await expect(missing.put({ key: 'evidence/x.jpg', body: source })).rejects.toThrow();
    expect(source.destroyed).toBe(true);
    missing.close();
  });

  it('when the bytes are not what was expected, then the mismatch is reported and the truth is stored', async () => {
    const png = await store.put({
      key: { ...ORDER, orderNo: 'MISMATCH1', kind: 'photo' },
      body: Readable.from([PNG]),
      expectedType: 'image/jpeg',
    });
    expect(png).toMatchObject({ detectedType: 'image/png', typeMismatch: true, contentType: 'image/png' });
    expect(png.key.endsWith('/MISMATCH1/photo.png')).toBe(true);
    const html = Buffer.from('<html>error page</html>');
    const unknown = await store.put({
      key: { ...ORDER, orderNo: 'MISMATCH2', kind: 'video' },
      body: Readable.from([html]),
      expectedType: 'video/mp4',
    });
    expect(unknown).toMatchObject({
      detectedType: undefined,
      typeMismatch: true,
      contentType: 'application/octet-stream',
    });
    expect(unknown.key.endsWith('/MISMATCH2/video.bin')).toBe(true);
  });

  it('when SSE and Object Lock are configured, then the requests carry them (and the copy adds the hash)', async () => {
    const locked = storeOn(s3.bucket, {
      sse: 'aws:kms',
      sseKmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/k1',
      objectLockDays: 30,
      objectLockMode: 'COMPLIANCE',
    });
    const requests = recordRequests(locked.client);
    const before = Date.now();
    const stored = await locked.put({
      key: { ...ORDER, orderNo: 'LOCKED1', kind: 'photo' },
      body: Readable.from([JPEG]),
    });
    locked.close();
    const put = requests.find((r) => r.command === 'PutObjectCommand')!.headers;
    expect(put['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(put['x-amz-server-side-encryption-aws-kms-key-id']).toBe('arn:aws:kms:us-east-1:000000000000:key/k1');
    const copy = requests.find((r) => r.command === 'CopyObjectCommand')!.headers;
    expect(copy).toMatchObject({
      'x-amz-metadata-directive': 'REPLACE',
      'x-amz-meta-sha256': stored.sha256,
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-object-lock-mode': 'COMPLIANCE',
      'content-type': 'image/jpeg',
    });
    expect(copy['x-amz-copy-source-if-match']).toBeTruthy();
    const until = Date.parse(copy['x-amz-object-lock-retain-until-date']!);
    expect(until).toBeGreaterThanOrEqual(before + 30 * 24 * 3600 * 1000 - 1000);
    expect(until).toBeLessThan(Date.now() + 30 * 24 * 3600 * 1000 + 1000);
  });

  it('when configured from the environment, then the S3_* variables are honoured', async () => {
    const cfg = loadConfig({ ...process.env, ...s3.s3Env, S3_PREFIX: 'archive' });
    const fromEnv = EvidenceStore.fromConfig(cfg);
    const stored = await fromEnv.put({ key: { ...ORDER, kind: 'head_photo' }, body: Readable.from([JPEG]) });
    expect(stored.key).toBe('archive/TIDAtest0001/2024/05/01/ORDER20240501x1/head_photo.jpg');
    await fromEnv.ping();
    fromEnv.close();
  });

  it('when an object is deleted, then it no longer exists and reading it is not_found', async () => {
    const stored = await store.put({ key: 'evidence/tmp/delete-me.jpg', body: Readable.from([JPEG]) });
    expect(await store.exists(stored.key)).toBe(true);
    await store.delete(stored.key);
    await store.delete(stored.key); // idempotent
    expect(await store.exists(stored.key)).toBe(false);
    expect(await store.head(stored.key)).toBeUndefined();
    await expect(store.get(stored.key)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await expect(store.verify(stored.key, stored.sha256)).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('when the bucket is missing, then ping fails as unavailable and ensureBucket creates it', async () => {
    const fresh = storeOn(`fresh-${randomBytes(3).toString('hex')}`);
    await expect(fresh.ping()).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    await fresh.ensureBucket();
    await fresh.ensureBucket(); // idempotent
    await expect(fresh.ping()).resolves.toBeUndefined();
    fresh.close();
  });
});
