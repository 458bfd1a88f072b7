import i18next from 'i18next';
import { en } from './catalogue-en';
import { zhCN } from './catalogue-zh-cn';

/**
 * Staff-facing words (console pages, CLI table headers, the export manifest's readable part) come
 * from these catalogues through i18next, never from string literals in the renderers. Simplified
 * Chinese is the default: the staff who use the console work in Chinese.
 */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

/** A translator for one locale: `t('nav.orders')`, `t('search.total', { count: 3 })`. */
export type Translate = (key: string, values?: Record<string, unknown>) => string;

const instance = i18next.createInstance();
void instance.init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: DEFAULT_LOCALE,
  fallbackLng: DEFAULT_LOCALE,
  supportedLngs: [...LOCALES],
  // Synchronous: the resources are in memory, so the translators are usable as soon as this module loads.
  initAsync: false,
  // Our HTML template escapes every interpolated value once; i18next escaping too would double it.
  interpolation: { escapeValue: false },
  returnNull: false,
});

const translators = new Map<Locale, Translate>(
  LOCALES.map((l) => {
    const fixed = instance.getFixedT(l);
    return [l, (key: string, values?: Record<string, unknown>) => String(fixed(key, values ?? {}))];
  }),
);

export function translator(locale: Locale = DEFAULT_LOCALE): Translate {
  return translators.get(locale)!;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Maps a language tag to one of ours: `zh`, `zh-Hans`, `zh-CN` → zh-CN; `en-GB` → en. */
export function localeOfTag(tag: string): Locale | undefined {
  const t = tag.trim().toLowerCase();
  if (t === '' || t === '*') return undefined;
  if (t.startsWith('zh')) return 'zh-CN';
  if (t.startsWith('en')) return 'en';
  return undefined;
}

/**
 * The locale for a request: the remembered choice (a cookie) first, then the best match of
 * `Accept-Language` by its q-values, then the default.
 */
export function negotiateLocale(acceptLanguage: string | undefined, remembered: string | undefined): Locale {
  if (isLocale(remembered)) return remembered;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { locale: localeOfTag(tag), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.locale !== undefined && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked[0]?.locale ?? DEFAULT_LOCALE;
}
