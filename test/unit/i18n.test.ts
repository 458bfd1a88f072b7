import { en } from '../../src/shared/compliance/i18n/catalogue-en';
import { zhCN } from '../../src/shared/compliance/i18n/catalogue-zh-cn';
import { negotiateLocale, translator } from '../../src/shared/compliance/i18n/translator';

/** Every leaf key of a catalogue, dotted. */
function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v as object, `${prefix}${k}.`),
  );
}

test('the English and Chinese catalogues have the same keys, none empty', () => {
  expect(keys(en).sort()).toEqual(keys(zhCN).sort());
  for (const k of keys(zhCN)) {
    expect(translator('zh-CN')(k)).not.toBe('');
    expect(translator('zh-CN')(k)).not.toBe(k);
    expect(translator('en')(k)).not.toBe(k);
  }
});

test('Chinese by default; Accept-Language by q-value; a remembered choice wins', () => {
  expect(negotiateLocale(undefined, undefined)).toBe('zh-CN');
  expect(negotiateLocale('fr-FR, de;q=0.5', undefined)).toBe('zh-CN');
  expect(negotiateLocale('en-US,en;q=0.9,zh-CN;q=0.8', undefined)).toBe('en');
  expect(negotiateLocale('en;q=0.5, zh-Hans;q=0.9', undefined)).toBe('zh-CN');
  expect(negotiateLocale('zh-TW', undefined)).toBe('zh-CN');
  expect(negotiateLocale('en', 'zh-CN')).toBe('zh-CN');
  expect(negotiateLocale(undefined, 'en')).toBe('en');
  expect(negotiateLocale('en', 'klingon')).toBe('en');
});

test('values are interpolated unescaped (the HTML template escapes once)', () => {
  expect(translator('en')('nav.who', { user: 'a<b', role: 'admin' })).toBe('a<b (admin)');
  expect(translator('zh-CN')('status.ARCHIVED')).toBe('已归档');
});
