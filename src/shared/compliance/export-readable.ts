import { displayZone, formatInstant } from '../platform/display-time';
import { LOCALES, translator, type Locale } from './i18n/translator';
import { describeResultCode, outcomeOf } from './result-codes';

/** What the readable part says about an order (no personal data). */
export interface ReadableInput {
  orderNo: string;
  appKey: string;
  status: string;
  product: string;
  resultCode: string | null;
  details: unknown;
  exportedAt: Date;
  exportedBy: string;
  purpose?: string;
  files: readonly { kind: string; sha256: string }[];
}

/**
 * The manifest's human-readable part: the same facts in each staff language (Simplified Chinese
 * first), times in the display zone with its offset. It sits inside manifest.json, so the
 * signature covers it like everything else.
 */
export function readableSummary(i: ReadableInput): Record<Locale, string[]> {
  const zone = displayZone(i.exportedAt);
  const out = {} as Record<Locale, string[]>;
  for (const locale of LOCALES) {
    const t = translator(locale);
    const info = describeResultCode(i.resultCode, i.product);
    out[locale] = [
      t('manifest.title'),
      `${t('manifest.order')}: ${i.orderNo}`,
      `${t('manifest.app')}: ${i.appKey}`,
      `${t('manifest.outcome')}: ${t(`outcome.${outcomeOf(i.resultCode, i.details)}`)}`,
      `${t('manifest.resultCode')}: ${i.resultCode ?? '—'}`,
      `${t('manifest.resultMeaning')}: ${info ? (locale === 'en' ? info.en : info.zh) : '—'}`,
      `${t('manifest.status')}: ${t(`status.${i.status}`)}`,
      `${t('manifest.createdAt')}: ${formatInstant(i.exportedAt)}`,
      `${t('manifest.timeZone')}: ${zone.name} (UTC${zone.offset})`,
      `${t('manifest.exportedBy')}: ${i.exportedBy}`,
      `${t('manifest.purpose')}: ${i.purpose ?? '—'}`,
      `${t('manifest.files')}: ${i.files.length === 0 ? '—' : i.files.map((f) => `${f.kind} ${f.sha256}`).join('; ')}`,
    ];
  }
  return out;
}
