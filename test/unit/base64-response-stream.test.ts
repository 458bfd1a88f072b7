import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MalformedResponseError } from '../../src/shared/webank/malformed-response-error';
import { parseWebankStream, type WebankStreamOptions } from '../../src/shared/webank/response-stream';

// A full collection on demand, without starting jest under --expose-gc.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const FACE_FILES = ['photo', 'video'];
const OCR_FILES = ['frontPhoto', 'backPhoto', 'frontCrop', 'backCrop', 'headPhoto'];

/** A body delivering `text` in chunks of `size` bytes (or at the given cut points). */
function body(text: string | Buffer, size = 64 * 1024): Readable {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
}

function bodyCutAt(text: string, cuts: number[]): Readable {
  const buf = Buffer.from(text);
  const points = [0, ...cuts, buf.length];
  return Readable.from(
    points.slice(1).map((p, i) => buf.subarray(points[i], p)),
    { objectMode: false },
  );
}

async function collect(data: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of data) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const collectAll = (fileFields = FACE_FILES): WebankStreamOptions<Buffer> => ({
  fileFields,
  onFile: (_field, data) => collect(data),
});

const photo = randomBytes(700);
const video = randomBytes(1500);
const response = (result: Record<string, unknown> | null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    code: '0',
    msg: '请求成功',
    bizSeqNo: 'BIZ123',
    transactionTime: '20240501120000',
    result,
    ...extra,
  });
const faceResult = {
  orderNo: 'ORDER0001',
  liveRate: '99',
  similarity: '98.5',
  occurredTime: '20240501115959',
  photo: photo.toString('base64'),
  video: video.toString('base64'),
  sdkVersion: null,
  riskInfo: { deviceRisk: '0', tags: ['a', 1] },
};

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('parseWebankStream', () => {
  it('when a face result arrives, then the envelope, the scalars and the decoded files come back apart', async () => {
    const out = await parseWebankStream(body(response(faceResult), 100), collectAll());
    expect(out.envelope).toEqual({
      code: '0',
      msg: '请求成功',
      bizSeqNo: 'BIZ123',
      transactionTime: '20240501120000',
      extra: {},
    });
    expect(out.result).toEqual({
      orderNo: 'ORDER0001',
      liveRate: '99',
      similarity: '98.5',
      occurredTime: '20240501115959',
      sdkVersion: null,
      riskInfo: { deviceRisk: '0', tags: ['a', 1] },
    });
    expect(out.files.photo).toEqual(photo);
    expect(out.files.video).toEqual(video);
    expect(out.skipped).toEqual([]);
  });

  it('when the body is split into n-byte chunks for every n, then the result is identical', async () => {
    const small = response({ orderNo: 'O1', photo: randomBytes(40).toString('base64'), video: 'QUJD', x: 'y\\"z' });
    const expected = await parseWebankStream(body(small), collectAll());
    for (let n = 1; n <= small.length; n++) {
      await expect(parseWebankStream(body(small, n), collectAll())).resolves.toEqual(expected);
    }
  });

  it('when the body is split in two at every offset, then the result is identical', async () => {
    // 0xff bytes encode as '/', which some JSON encoders (PHP's) escape as \/.
    const raw = Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), randomBytes(38)]);
    const small = `{"code":"0","result":{"orderNo":"O1","photo":"${raw.toString('base64').replace(/\//g, '\\/')}"}}`;
    expect(small).toContain('\\/');
    const expected = await parseWebankStream(body(small), collectAll());
    expect(expected.files.photo).toEqual(raw);
    for (let i = 0; i <= Buffer.byteLength(small); i++) {
      await expect(parseWebankStream(bodyCutAt(small, [i]), collectAll())).resolves.toEqual(expected);
    }
  });

  it('when an OCR result holds five images, then each is handed over under its field name', async () => {
    const images = Object.fromEntries(OCR_FILES.map((f) => [f, randomBytes(100 + f.length)]));
    const text = response({
      orderNo: 'O2',
      name: '张三',
      ...Object.fromEntries(OCR_FILES.map((f) => [f, images[f]!.toString('base64')])),
    });
    const seen: string[] = [];
    const out = await parseWebankStream(body(text, 33), {
      fileFields: OCR_FILES,
      onFile: async (field, data) => {
        seen.push(field);
        return collect(data);
      },
    });
    expect(seen).toEqual(OCR_FILES);
    for (const f of OCR_FILES) expect(out.files[f]).toEqual(images[f]);
    expect(out.result).toEqual({ orderNo: 'O2', name: '张三' });
  });

  it('when file fields are null or empty, then there is no file and onFile is not called', async () => {
    const onFile = jest.fn(async (_f: string, d: Readable) => collect(d));
    const out = await parseWebankStream(body(response({ orderNo: 'O3', photo: null, video: '' })), {
      fileFields: FACE_FILES,
      onFile,
    });
    expect(onFile).not.toHaveBeenCalled();
    expect(out.files).toEqual({});
    expect(out.result).toEqual({ orderNo: 'O3' });
  });

  it('when WeBank reports an error without result, then the envelope comes back with an empty result', async () => {
    const out = await parseWebankStream(
      body('{"code":"66660011","msg":"无此订单","bizSeqNo":"B","result":null,"success":false}'),
      collectAll(),
    );
    expect(out.envelope).toEqual({
      code: '66660011',
      msg: '无此订单',
      bizSeqNo: 'B',
      transactionTime: undefined,
      extra: { success: false },
    });
    expect(out.result).toEqual({});
    expect(out.files).toEqual({});
  });

  it('when base64 carries JSON escapes \\/ and MIME line breaks \\r\\n, then they are tolerated', async () => {
    const raw = randomBytes(3000);
    const mime = raw.toString('base64').replace(/.{76}/g, '$&\r\n').replace(/\//g, '\\/');
    const text = `{"code":"0","result":{"photo":"${mime.replace(/\r\n/g, '\\r\\n')}"}}`;
    for (const size of [1, 2, 3, 5, 77, 4096]) {
      const out = await parseWebankStream(body(text, size), collectAll());
      expect(out.files.photo).toEqual(raw);
    }
  });

  it.each([
    ['a tab escape', '"QUJD\\tQUJD"'],
    ['a unicode escape', '"QUJD\\u0041QUJD"'],
    ['an escaped quote', '"QUJD\\"QUJD"'],
    ['a raw space', '"QUJD QUJD"'],
    ['a URL-safe character', '"QUJD-_JD"'],
    ['padding in the middle', '"QQ==QUJD"'],
    ['a length not a multiple of 4', '"QUJDQ"'],
    ['a number instead of a string', '12'],
    ['an object instead of a string', '{"a":"QUJD"}'],
  ])(
    'when the photo holds %s, then the parse rejects with MalformedResponseError naming the field',
    async (_l, value) => {
      const err = await rejection(parseWebankStream(body(`{"code":"0","result":{"photo":${value}}}`, 3), collectAll()));
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as MalformedResponseError).field).toBe('photo');
    },
  );

  it('when bad base64 appears after data was handed over, then the consumer stream errors too', async () => {
    const good = randomBytes(300 * 1024).toString('base64');
    let consumerError: unknown;
    const err = await rejection(
      parseWebankStream(body(`{"code":"0","result":{"video":"${good}*AAA"}}`, 1000), {
        fileFields: FACE_FILES,
        onFile: (_f, data) =>
          collect(data).catch((e: unknown) => {
            consumerError = e;
            throw e;
          }),
      }),
    );
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect(err.message).toMatch(/invalid character '\*'/);
    expect(consumerError).toBe(err);
  });

  it('when the body ends early at any point, then the parse rejects as truncated', async () => {
    const text = response({ orderNo: 'O1', photo: randomBytes(30).toString('base64'), n: 12 });
    for (let cut = 0; cut < Buffer.byteLength(text); cut++) {
      const err = await rejection(parseWebankStream(body(Buffer.from(text).subarray(0, cut), 7), collectAll()));
      expect(err).toBeInstanceOf(MalformedResponseError);
    }
  });

  it.each([
    ['not an object', '["code"]'],
    ['a trailing comma', '{"code":"0",}'],
    ['a missing colon', '{"code" "0"}'],
    ['a missing comma', '{"code":"0" "msg":"x"}'],
    ['data after the object', '{"code":"0"} {}'],
    ['mismatched brackets in a nested value', '{"code":"0","result":{"r":{"a":[1}}}'],
    ['a bad literal', '{"code":"0","result":{"r":nul}}'],
    ['a bad number', '{"code":"0","result":{"r":01}}'],
    ['an unquoted key', '{code:"0"}'],
    ['a non-object result', '{"code":"0","result":"x"}'],
    ['two results', '{"code":"0","result":{},"result":{}}'],
    ['a repeated file field', '{"code":"0","result":{"photo":"QUJD","photo":"QUJD"}}'],
    ['no code', '{"msg":"x"}'],
    ['an empty body', ''],
    ['absurd nesting', `{"code":"0","result":{"r":${'['.repeat(100000)}}}`],
  ])('when the JSON has %s, then the parse rejects with MalformedResponseError', async (_l, text) => {
    await expect(parseWebankStream(body(text, 2), collectAll())).rejects.toBeInstanceOf(MalformedResponseError);
  });

  it('when a non-file value is larger than maxValueBytes, then it is skipped and listed', async () => {
    const out = await parseWebankStream(body(response({ orderNo: 'O1', blob: 'x'.repeat(5000) }), 100), {
      ...collectAll(),
      maxValueBytes: 1000,
    });
    expect(out.result).toEqual({ orderNo: 'O1' });
    expect(out.skipped).toEqual(['result.blob']);
  });

  it('when a key is __proto__, then it is kept as data and does not touch the prototype', async () => {
    const out = await parseWebankStream(body('{"code":"0","result":{"__proto__":{"polluted":1}}}'), collectAll());
    expect(Object.getPrototypeOf(out.result)).toBe(Object.prototype);
    expect(Object.keys(out.result)).toEqual(['__proto__']);
  });

  it('when the consumer rejects, then the parse rejects with its error and stops reading the body', async () => {
    const source = body(response({ video: randomBytes(2 * 1024 * 1024).toString('base64') }), 16 * 1024);
    const boom = new Error('upload failed');
    const err = await rejection(
      parseWebankStream(source, {
        fileFields: FACE_FILES,
        onFile: async (_f, data) => {
          for await (const _ of data) throw boom;
          return 0;
        },
      }),
    );
    expect(err).toBe(boom);
    expect(source.destroyed).toBe(true);
  });

  it('when the consumer resolves without reading everything, then the rest is validated and discarded', async () => {
    const out = await parseWebankStream(body(response(faceResult), 50), {
      fileFields: FACE_FILES,
      onFile: async (field) => field.toUpperCase(),
    });
    expect(out.files).toEqual({ photo: 'PHOTO', video: 'VIDEO' });
    expect(out.result.orderNo).toBe('ORDER0001');
  });

  it('when the consumer is slow, then the body is read only a little ahead of it (backpressure)', async () => {
    const raw = randomBytes(4 * 1024 * 1024);
    const text = Buffer.from(response({ video: raw.toString('base64') }));
    let pulled = 0;
    let maxLead = 0;
    let consumed = 0;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < text.length; i += 16 * 1024) {
          pulled += Math.min(16 * 1024, text.length - i);
          yield text.subarray(i, i + 16 * 1024);
        }
      })(),
      { objectMode: false, highWaterMark: 16 * 1024 },
    );
    const out = await parseWebankStream(source, {
      fileFields: FACE_FILES,
      onFile: async (_f, data) => {
        const hash = createHash('sha256');
        for await (const c of data) {
          consumed += (c as Buffer).length;
          maxLead = Math.max(maxLead, pulled - (consumed * 4) / 3);
          hash.update(c as Buffer);
          await sleep(0);
        }
        return hash.digest('hex');
      },
    });
    expect(out.files.video).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(maxLead).toBeLessThan(512 * 1024);
  });

  it('when a 50 MB video streams through, then memory stays flat', async () => {
    const MB = 1024 * 1024;
    const block = randomBytes(48 * 1024);
    const blocks = Math.ceil((50 * MB) / block.length);
    const expectedHash = createHash('sha256');
    const head = Buffer.from(
      '{"code":"0","msg":"ok","bizSeqNo":"B","transactionTime":"20240501120000","result":{"orderNo":"BIG","video":"',
    );
    const tail = Buffer.from('","liveRate":"99"}}');
    let base64Bytes = 0;
    function* generate() {
      yield head;
      for (let i = 0; i < blocks; i++) {
        block.writeUInt32BE(i, 0); // every block differs
        expectedHash.update(block);
        const chunk = Buffer.from(block.toString('base64'));
        base64Bytes += chunk.length;
        yield chunk;
      }
      yield tail;
    }
    // What the parser keeps alive, not what the collector has not yet reclaimed: RSS also counts
    // garbage (every 64 KiB chunk is short-lived) and swings with the other suites' heaps, so a
    // full collection before each sample leaves only what is really held. Buffering the video
    // would hold 50 MiB decoded (and 67 MiB of base64); streaming holds a few chunks (under 2 MiB
    // in a bare node process; jest's own buffers come and go by about 9 MiB between samples).
    const retained = () => {
      collectGarbage();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = retained();
    let peak = before;
    let nextSampleAt = 0;
    const started = process.hrtime.bigint();
    let decodedBytes = 0;
    const out = await parseWebankStream(Readable.from(generate(), { objectMode: false }), {
      fileFields: FACE_FILES,
      onFile: async (_f, data) => {
        const hash = createHash('sha256');
        for await (const c of data) {
          decodedBytes += (c as Buffer).length;
          hash.update(c as Buffer);
          if (decodedBytes >= nextSampleAt) {
            peak = Math.max(peak, retained());
            nextSampleAt += 4 * MB;
          }
        }
        return hash.digest('hex');
      },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const growth = peak - before;
    const throughput = base64Bytes / MB / seconds;
    // Reported for the record only (npx jest --verbose shows it): speed is the benchmark's job
    // (npm run bench), never an assertion here, where a loaded machine would fail it.
    console.log(
      `50 MB video: ${throughput.toFixed(0)} MiB/s of base64 (incl. SHA-256 and 13 full GCs), retained growth ${(growth / MB).toFixed(1)} MiB`,
    );
    expect(decodedBytes).toBe(blocks * block.length);
    expect(out.files.video).toBe(expectedHash.digest('hex'));
    expect(out.result).toEqual({ orderNo: 'BIG', liveRate: '99' });
    expect(growth).toBeLessThan(16 * MB);
  });
});
