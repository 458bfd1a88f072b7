import { formatInstant } from '../../shared/platform/display-time';
import { html, type Html } from './html';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return ISO_INSTANT.test(v) ? formatInstant(new Date(v)) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  return Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${k}: ${valueText(x)}`)
    .join('; ');
}

/**
 * A timeline or audit detail (JSON) as readable lines, `key: value`, instants in the display zone
 * with their offset, instead of raw JSON.
 */
export function detailText(detail: unknown, label: (key: string) => string = (k) => k): Html | string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail !== 'object' || Array.isArray(detail)) return valueText(detail);
  const entries = Object.entries(detail as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '';
  return html`<dl class="detail">
    ${entries.map(
      ([k, v]) =>
        html`<dt>${label(k)}</dt>
          <dd>${valueText(v)}</dd>`,
    )}
  </dl>`;
}
