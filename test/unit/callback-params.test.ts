import { escapeControls, readCallbackQuery, recordableParams } from '../../src/web/callback-params';

// WeBank's redirect query as express hands it over (strings, arrays for repeated keys, objects
// for `a[b]=c`). Every value is hostile until checked.
const SIG = '526365E042766AE27A6E52D2E4829D4C6E156B5D';
const good = { code: '0', orderNo: 'order0001', h5faceId: 'face0001', newSignature: SIG };

function rejected(query: Record<string, unknown>): string {
  const parsed = readCallbackQuery(query);
  if (parsed.ok) throw new Error(`expected a rejection, got ${JSON.stringify(parsed.value)}`);
  return parsed.reason;
}

describe('readCallbackQuery', () => {
  test('when the query is well formed, then exactly its four values come out, and the record hides the signature', () => {
    const parsed = readCallbackQuery({ ...good, extra: 'x' });
    expect(parsed).toEqual({
      ok: true,
      value: { code: '0', orderNo: 'order0001', h5faceId: 'face0001', signature: SIG },
      params: { code: '0', orderNo: 'order0001', h5faceId: 'face0001', newSignature: '[present]', extra: 'x' },
    });
  });

  test.each([
    ['code', 16],
    ['orderNo', 32],
    ['h5faceId', 64],
  ] as const)(
    'when %s is letters and digits up to %i characters, then it is taken; one more and it is refused',
    (key, max) => {
      const longest = 'aZ9'.repeat(30).slice(0, max);
      const ok = readCallbackQuery({ ...good, [key]: longest });
      expect(ok.ok && ok.value[key]).toBe(longest);
      expect(rejected({ ...good, [key]: `${longest}a` })).toBe(
        `parameter ${key} is too long or has characters other than letters and digits`,
      );
    },
  );

  test.each(['code', 'orderNo', 'h5faceId'] as const)(
    'when %s has a character other than a letter or digit anywhere, then it is refused',
    (key) => {
      const reason = `parameter ${key} is too long or has characters other than letters and digits`;
      for (const bad of ['-a1', 'a1-', 'a-1', 'a_1', 'a 1', 'a1\n', '\na1', '订单1', '../a1', 'a1%00']) {
        expect([bad, rejected({ ...good, [key]: bad })]).toEqual([bad, reason]);
      }
    },
  );

  test.each(['code', 'orderNo', 'h5faceId'] as const)(
    'when %s is missing or empty, then it is named as missing',
    (key) => {
      const { [key]: _dropped, ...without } = good;
      expect(rejected(without)).toBe(`missing parameter ${key}`);
      expect(rejected({ ...good, [key]: '' })).toBe(`missing parameter ${key}`);
    },
  );

  test.each(['code', 'orderNo', 'h5faceId'] as const)(
    'when %s appears twice or as a nested object, then it is refused (never joined or stringified)',
    (key) => {
      expect(rejected({ ...good, [key]: [good[key], good[key]] })).toBe(`parameter ${key} must appear once`);
      expect(rejected({ ...good, [key]: { a: '1' } })).toBe(`parameter ${key} must appear once`);
    },
  );

  test('when several parameters are wrong, then the first in the order code, orderNo, h5faceId is named', () => {
    expect(rejected({ newSignature: SIG })).toBe('missing parameter code');
    expect(rejected({ code: '0', newSignature: SIG })).toBe('missing parameter orderNo');
    expect(rejected({ code: '0', orderNo: 'o1', newSignature: SIG })).toBe('missing parameter h5faceId');
  });

  test('when the signature comes as newSign (the older name) alone, then it is taken', () => {
    const { newSignature: _n, ...rest } = good;
    const parsed = readCallbackQuery({ ...rest, newSign: SIG.toLowerCase() });
    expect(parsed.ok && parsed.value.signature).toBe(SIG.toLowerCase());
    expect(parsed.params.newSign).toBe('[present]');
  });

  test('when both names carry the same signature in different case, then it is taken (as newSign)', () => {
    const parsed = readCallbackQuery({ ...good, newSign: SIG.toLowerCase() });
    expect(parsed.ok && parsed.value.signature).toBe(SIG.toLowerCase());
    expect(parsed.params).toMatchObject({ newSignature: '[present]', newSign: '[present]' });
  });

  test('when the two names carry different signatures, then the callback is refused', () => {
    const other = `${SIG.slice(0, -1)}C`;
    expect(rejected({ ...good, newSign: other })).toBe('malformed signature');
    expect(rejected({ ...good, newSignature: other, newSign: SIG })).toBe('malformed signature');
  });

  test('when no signature is present (or only empty ones), then it is named as missing', () => {
    const { newSignature: _n, ...rest } = good;
    expect(rejected(rest)).toBe('missing parameter newSignature or newSign');
    expect(rejected({ ...rest, newSignature: '', newSign: '' })).toBe('missing parameter newSignature or newSign');
  });

  test('when an empty name stands beside a filled one, then the filled one is taken', () => {
    const a = readCallbackQuery({ ...good, newSign: '' });
    expect(a.ok && a.value.signature).toBe(SIG);
    const b = readCallbackQuery({ ...good, newSignature: '', newSign: SIG });
    expect(b.ok && b.value.signature).toBe(SIG);
  });

  test.each(['newSignature', 'newSign'])('when %s appears twice or nested, then the callback is refused', (key) => {
    expect(rejected({ ...good, [key]: [SIG, SIG] })).toBe('signature must appear once');
    expect(rejected({ ...good, [key]: { a: SIG } })).toBe('signature must appear once');
  });

  test.each([
    ['39 hex characters', SIG.slice(1)],
    ['41 hex characters', `${SIG}0`],
    ['a non-hex character', `G${SIG.slice(1)}`],
    ['a prefix', `x${SIG}`],
    ['a suffix', `${SIG}x`],
    ['a line break', `${SIG}\n`],
  ])('when the signature has %s, then it is malformed', (_what, signature) => {
    expect(rejected({ ...good, newSignature: signature })).toBe('malformed signature');
    const { newSignature: _n, ...rest } = good;
    expect(rejected({ ...rest, newSign: signature })).toBe('malformed signature');
  });

  test('when refused, then what was received is still there to record', () => {
    const parsed = readCallbackQuery({ orderNo: 'o1', newSignature: 'nope' });
    expect(parsed).toEqual({
      ok: false,
      reason: 'missing parameter code',
      params: { orderNo: 'o1', newSignature: '[present]' },
    });
  });
});

describe('recordableParams', () => {
  test('when values are repeated, nested or long, then they are recorded joined, as [object] and cut at 128', () => {
    expect(recordableParams({ a: ['1', '2', '3'], b: { c: 'd' }, c: 'x'.repeat(200), d: 'short' })).toEqual({
      a: '1,2,3',
      b: '[object]',
      c: 'x'.repeat(128),
      d: 'short',
    });
  });

  test('when a value is cut, then it is cut before its control characters are written out', () => {
    // 128 controls become 128 × 6 characters: the bound is on what was received, and the
    // escaping never splits an escape.
    expect(recordableParams({ a: '\u0001'.repeat(200) }).a).toBe('\\u0001'.repeat(128));
  });

  test('when a key is not letters, digits and _ up to 32 characters, then it is left out', () => {
    const long = 'k'.repeat(32);
    expect(
      recordableParams({ [long]: '1', [`${long}k`]: '2', 'a-b': '3', 'a b': '4', '': '5', 'x[y]': '6', ok_1: '7' }),
    ).toEqual({ [long]: '1', ok_1: '7' });
  });

  test('when a key has a bad character at either end, then it is left out', () => {
    expect(recordableParams({ '-ab': '1', 'ab-': '2', '\nab': '3', 'ab\n': '4' })).toEqual({});
  });

  test('when both signature names are present, then only their presence is recorded', () => {
    expect(recordableParams({ newSignature: SIG, newSign: SIG, newSig: 'x' })).toEqual({
      newSignature: '[present]',
      newSign: '[present]',
      newSig: 'x',
    });
  });

  test('when the query has more than 21 usable keys, then the first 21 are recorded (the five callback keys and 16 extras)', () => {
    const query: Record<string, string> = {};
    for (let i = 0; i < 30; i++) query[`k${i}`] = String(i);
    const recorded = recordableParams(query);
    expect(Object.keys(recorded)).toEqual(Array.from({ length: 21 }, (_, i) => `k${i}`));
  });

  test('when unusable keys come first, then they do not use up the 21 places', () => {
    const query: Record<string, string> = {};
    for (let i = 0; i < 10; i++) query[`bad-${i}`] = 'x';
    for (let i = 0; i < 21; i++) query[`k${i}`] = String(i);
    expect(Object.keys(recordableParams(query))).toHaveLength(21);
  });

  test('when the query has exactly 21 usable keys, then all are recorded', () => {
    const query: Record<string, string> = {};
    for (let i = 0; i < 21; i++) query[`k${i}`] = String(i);
    expect(Object.keys(recordableParams(query))).toHaveLength(21);
  });

  test('when control characters arrive in a value, then each is written out (a NUL would fail the jsonb insert)', () => {
    expect(recordableParams({ a: 'x\u0000y\u001fz\u007f\u009f' }).a).toBe('x\\u0000y\\u001fz\\u007f\\u009f');
  });
});

describe('escapeControls', () => {
  test('when a value has C0 controls, DEL and C1 controls, then each is written as \\u00XX, every occurrence', () => {
    expect(escapeControls('\u0000\u0001\t\n\r\u001b\u001f')).toBe('\\u0000\\u0001\\u0009\\u000a\\u000d\\u001b\\u001f');
    expect(escapeControls('\u007f\u0080\u0085\u009f')).toBe('\\u007f\\u0080\\u0085\\u009f');
    expect(escapeControls('a\u0000b\u0000c')).toBe('a\\u0000b\\u0000c');
  });

  test('when a value has only printable text (the edges of the ranges included), then it is unchanged', () => {
    const printable = ' !~\u00a0\u00ff张三 Mozilla/5.0 (iPhone) \\u0000';
    expect(escapeControls(printable)).toBe(printable);
  });
});
