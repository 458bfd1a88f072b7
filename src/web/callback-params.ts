/**
 * Reads WeBank's callback query defensively: every value is hostile until checked
 * (length, charset, single value). What we record of it is bounded too.
 */
export interface CallbackParams {
  code: string;
  orderNo: string;
  h5faceId: string;
  signature: string;
}

export type ParsedCallback =
  | { ok: true; value: CallbackParams; params: Record<string, string> }
  | { ok: false; reason: string; params: Record<string, string> };

const RULES: Record<keyof Omit<CallbackParams, 'signature'>, RegExp> = {
  code: /^[A-Za-z0-9]{1,16}$/,
  orderNo: /^[A-Za-z0-9]{1,32}$/,
  h5faceId: /^[A-Za-z0-9]{1,64}$/,
};
const SIGNATURE = /^[0-9A-Fa-f]{40}$/;
const SIGNATURE_KEYS = new Set(['newSignature', 'newSign']);
const EXTRA_KEY = /^[A-Za-z0-9_]{1,32}$/;
const MAX_EXTRAS = 16;
const MAX_RECORDED = 128;

// C0 and C1 controls and DEL. PostgreSQL's jsonb refuses \u0000 outright (22P05): a forger's NUL
// byte would fail the insert, answer 503 and leave no trace; the others are kept legible too.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `value` with every control character written out as the text `\u00XX`. */
export function escapeControls(value: string): string {
  return value.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The query as we record it: signature values dropped, keys and values bounded, control characters escaped. */
export function recordableParams(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [key, raw] of Object.entries(query)) {
    if (n >= MAX_EXTRAS + 5) break;
    if (!EXTRA_KEY.test(key)) continue;
    const value = Array.isArray(raw) ? raw.map(String).join(',') : typeof raw === 'string' ? raw : '[object]';
    out[key] = SIGNATURE_KEYS.has(key) ? '[present]' : escapeControls(value.slice(0, MAX_RECORDED));
    n++;
  }
  return out;
}

export function readCallbackQuery(query: Record<string, unknown>): ParsedCallback {
  const params = recordableParams(query);
  const fail = (reason: string): ParsedCallback => ({ ok: false, reason, params });
  const single = (key: string): string | undefined | null => {
    const v = query[key];
    if (v === undefined || v === '') return undefined;
    return typeof v === 'string' ? v : null;
  };
  const values: Partial<CallbackParams> = {};
  for (const [key, rule] of Object.entries(RULES) as [keyof typeof RULES, RegExp][]) {
    const v = single(key);
    if (v === undefined) return fail(`missing parameter ${key}`);
    if (v === null) return fail(`parameter ${key} must appear once`);
    if (!rule.test(v)) return fail(`parameter ${key} is too long or has characters other than letters and digits`);
    values[key] = v;
  }
  const a = single('newSignature');
  const b = single('newSign');
  if (a === null || b === null) return fail('signature must appear once');
  const signature = b ?? a;
  if (!signature) return fail('missing parameter newSignature or newSign');
  if (!SIGNATURE.test(signature) || (a && b && a.toUpperCase() !== b.toUpperCase())) return fail('malformed signature');
  return { ok: true, value: { ...(values as Omit<CallbackParams, 'signature'>), signature }, params };
}
