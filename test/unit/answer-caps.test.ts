import { Readable } from 'node:stream';
import { MalformedResponseError } from '../../src/shared/webank/malformed-response-error';
import { parseWebankStream } from '../../src/shared/webank/response-stream';

/** Issue 15, item 8: an answer may not make the worker hold more than the caps allow. */
const parse = (body: string, opts: { maxKeys?: number; maxTextBytes?: number; maxFileBytes?: (f: string) => number }) =>
  parseWebankStream(Readable.from([Buffer.from(body)]), {
    fileFields: ['photo', 'video'],
    onFile: async (_f, data) => {
      let n = 0;
      for await (const c of data as AsyncIterable<Buffer>) n += c.length;
      return n;
    },
    ...opts,
  });

describe('caps on a WeBank answer', () => {
  test('when the result has more fields than allowed, then the answer is refused naming where, not what', async () => {
    const result = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, `SECRETVALUE${i}`]));
    const err = await parse(JSON.stringify({ code: '0', result }), { maxKeys: 256 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as Error).message).toMatch(/more than 256 fields in result/);
    expect((err as Error).message).not.toMatch(/SECRETVALUE/);
  });

  test('when the non-file values add up past the cap, then the answer is refused naming the field', async () => {
    const big = 'x'.repeat(400 * 1024);
    const result = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, big]));
    const err = await parse(JSON.stringify({ code: '0', result }), { maxTextBytes: 4 * 1024 * 1024 }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).toMatch(/non-file values over 4194304 bytes in all \(field result\.f\d+\)/);
  });

  test('when a file decodes past its kind’s cap, then the answer is refused naming the field and the offset', async () => {
    const photo = Buffer.alloc(3000, 7).toString('base64');
    const err = await parse(JSON.stringify({ code: '0', result: { photo } }), { maxFileBytes: () => 2048 }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as Error).message).toMatch(/file larger than 2048 bytes \(at byte \d+\) \(field photo\)/);
  });

  test('when an answer stays within the caps, then it parses as before', async () => {
    const photo = Buffer.alloc(3000, 7).toString('base64');
    const out = await parse(JSON.stringify({ code: '0', result: { photo, name: 'x' } }), { maxFileBytes: () => 3000 });
    expect(out.files.photo).toBe(3000);
  });
});

describe('errors about a value', () => {
  test('when a result value is malformed, then the error names its field and size, never the value', async () => {
    const body = '{"code":"0","result":{"name":"\\u00ZZ 赵小六 11010519491231002X"}}';
    const err = await parse(body, {}).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as Error).message).toMatch(/malformed JSON value \(\d+ bytes\) \(field result\.name\)/);
    expect((err as Error).message).not.toMatch(/赵小六|11010519491231002X/);
  });
});
