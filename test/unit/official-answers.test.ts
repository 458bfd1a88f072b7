import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Product } from '../../src/shared/platform/config';
import { open } from '../../src/shared/platform/sealed';
import { parseWebankStream } from '../../src/shared/webank/response-stream';
import { resultColumns } from '../../src/shared/webank/result-fields';
import { captureLogs } from '../support/log-capture';

/**
 * The example answers of Tencent Cloud's pages (test/fixtures/webank, each naming its page), fed
 * through the streaming parser and the field mapping as the archiver does: nothing personal may be
 * lost or left in clear, whichever spelling the page uses.
 */
interface Fixture {
  page: string;
  api: string;
  answer: Record<string, unknown>;
  expect: {
    idNo?: string;
    name?: string;
    pii?: Record<string, string>;
    details?: Record<string, string>;
    liveRate?: string;
    similarity?: string;
    occurredTime?: string;
  };
}

const DIR = path.join(__dirname, '../fixtures/webank');
const FILE_FIELDS = ['photo', 'video', 'frontPhoto', 'backPhoto', 'frontCrop', 'backCrop', 'headPhoto'];
const PRODUCT: Record<string, Product> = { getOcrResult: 'ocr', sync: 'faceid', queryfacerecord: 'faceid' };
const key = Buffer.alloc(32, 7);

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as Fixture] as const);

describe('official example answers', () => {
  test('there is a fixture for every query shape, each naming its page', () => {
    expect(fixtures.map(([, f]) => f.api).sort()).toEqual([
      'getOcrResult',
      'getOcrResult',
      'queryfacerecord',
      'queryfacerecord',
      'sync',
    ]);
    for (const [, f] of fixtures) expect(f.page).toBeTruthy();
  });

  test.each(fixtures)('when %s is parsed, then every personal field is sealed and the rest kept', async (_name, f) => {
    const parsed = await parseWebankStream(Readable.from([Buffer.from(JSON.stringify(f.answer))]), {
      fileFields: FILE_FIELDS,
      onFile: async (_field, data) => {
        data.resume();
        await new Promise((r) => data.once('end', r));
      },
    });
    const columns = resultColumns(PRODUCT[f.api]!, parsed.envelope, parsed.result, key, parsed.envelope.extra);
    const e = f.expect;
    if (e.idNo) expect(open(columns.idNoSealed as string, key)).toBe(e.idNo);
    if (e.name) expect(open(columns.nameSealed as string, key)).toBe(e.name);
    if (e.pii) expect(JSON.parse(open(columns.piiSealed as string, key))).toEqual(e.pii);
    if (e.details) expect(columns.details).toMatchObject(e.details);
    if (e.liveRate) expect(columns.liveRate).toBe(e.liveRate);
    if (e.similarity) expect(columns.similarity).toBe(e.similarity);
    if (e.occurredTime) expect(columns.occurredTime).toBe(e.occurredTime);
    // Nothing personal in clear.
    const clear = JSON.stringify({ ...columns, idNoSealed: null, nameSealed: null, piiSealed: null });
    for (const v of [e.idNo, e.name, ...Object.values(e.pii ?? {})].filter(Boolean)) expect(clear).not.toContain(v);
  });

  test('when a field we do not know looks personal, then it is sealed with the rest and logged by name only', () => {
    const logs = captureLogs();
    try {
      const columns = resultColumns(
        'faceid',
        { code: '0' },
        { orderNo: 'o1', mobilePhone: '13800138000', userName: '王五', riskLevel: '1' },
        key,
      );
      const pii = JSON.parse(open(columns.piiSealed as string, key)) as Record<string, string>;
      expect(pii).toEqual({ mobilePhone: '13800138000', userName: '王五' });
      expect(columns.details).toEqual({ riskLevel: '1' });
      const text = logs.lines.join('\n');
      expect(text).toContain('mobilePhone');
      expect(text).toContain('userName');
      expect(text).not.toContain('13800138000');
      expect(text).not.toContain('王五');
    } finally {
      logs.stop();
    }
  });
});
