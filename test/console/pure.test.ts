import { csvCell } from '../../src/shared/compliance/audit';
import { formatInstant, parseDayOrInstant } from '../../src/shared/platform/display-time';
import { decodeCursor, encodeCursor } from '../../src/shared/platform/keyset';
import { maskIdNo, maskName } from '../../src/shared/compliance/mask';
import { hashPassword, verifyPassword } from '../../src/shared/compliance/staff/passwords';
import { roleAtLeast } from '../../src/shared/compliance/staff/roles';
import { parseRange } from '../../src/web/console/range';
import { escapeHtml, html } from '../../src/web/console/html';

describe('masking', () => {
  test.each([
    ['110101199001011234', '11**************34'],
    ['11010119900101123X', '11**************3X'],
    // issue 15 item 14: a 9-character passport number showed 6 of 9 (E12***678).
    ['E12345678', 'E1*****78'],
    ['A1234567', 'A1****67'],
    ['123456', '1****6'],
    ['12345', '1***5'],
    ['1234', '1**4'],
    ['123', '***'],
    ['12', '**'],
  ])('ID number %s → %s', (id, masked) => expect(maskIdNo(id)).toBe(masked));
  test.each([
    ['张三', '张*'],
    ['欧阳娜娜', '欧***'],
    ['李', '*'],
  ])('name %s → %s', (name, masked) => expect(maskName(name)).toBe(masked));
});

describe('parseRange (size 1000)', () => {
  test.each([
    [undefined, { kind: 'full' }],
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=900-', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=900-5000', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=5-4', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,4-5', { kind: 'full' }],
    ['bytes=x-y', { kind: 'full' }],
    ['pages=1-2', { kind: 'full' }],
  ])('%s', (header, expected) => expect(parseRange(header, 1000)).toEqual(expected));
  test('any range of an empty object is unsatisfiable', () =>
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' }));
});

describe('passwords', () => {
  test('when hashed twice, then the salts differ and only the right password verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999999$8$1$AAAA$AAAA')).toBe(false);
  });
});

describe('small helpers', () => {
  test('roles are ordered', () => {
    expect(roleAtLeast('admin', 'auditor')).toBe(true);
    expect(roleAtLeast('viewer', 'auditor')).toBe(false);
  });
  test('CSV cells are quoted and defused against formulas', () => {
    expect(csvCell('a"b')).toBe('"a""b"');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(null)).toBe('""');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });
  test('cursors round-trip and junk is a 400', () => {
    const at = new Date('2026-11-23T01:02:03.456Z');
    expect(decodeCursor(encodeCursor(at, 'abc-123'))).toEqual({ at, id: 'abc-123' });
    expect(() => decodeCursor('!!!')).toThrow(/invalid cursor/);
  });
  test('dates without a zone are China Standard Time days; `to` covers the whole day', () => {
    expect(parseDayOrInstant('2026-11-23')!.toISOString()).toBe('2026-11-22T16:00:00.000Z');
    expect(parseDayOrInstant('2026-11-23', true)!.toISOString()).toBe('2026-11-23T16:00:00.000Z');
    expect(parseDayOrInstant('2026-11-23T10:00:00Z')!.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(parseDayOrInstant('yesterday')).toBeUndefined();
    expect(formatInstant(new Date('2026-11-22T16:00:00Z'))).toBe('2026-11-23 00:00:00 +08:00');
  });
  test('html escapes interpolations', () => {
    expect(html`<p>${'<script>"x"</script>'}</p>`.value).toBe('<p>&lt;script&gt;&quot;x&quot;&lt;/script&gt;</p>');
    expect(escapeHtml("'")).toBe('&#39;');
  });
});
