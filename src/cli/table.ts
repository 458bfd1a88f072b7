import { isLocale, translator, type Locale, type Translate } from '../shared/compliance/i18n/translator';
import type { CliIo } from './io';

/**
 * The CLI speaks the staff's language too: `CONSOLE_LANG` (zh-CN or en) when set, else a `zh*`
 * or `en*` LANG / LC_ALL, else Simplified Chinese.
 */
export function cliLocale(env: NodeJS.ProcessEnv): Locale {
  if (isLocale(env.CONSOLE_LANG)) return env.CONSOLE_LANG;
  const lang = (env.LC_ALL || env.LANG || '').toLowerCase();
  if (lang.startsWith('en')) return 'en';
  return 'zh-CN';
}

export function cliT(io: CliIo): Translate {
  return translator(cliLocale(io.env));
}

/** A tab-separated table with a header line of catalogue words (keys under `cli.`/others). */
export function printTable(io: CliIo, headerKeys: readonly string[], rows: readonly (readonly string[])[]): void {
  const t = cliT(io);
  io.out(headerKeys.map((k) => t(k)).join('\t'));
  for (const r of rows) io.out(r.join('\t'));
}
