import type { Product } from '../platform/config';
import { componentLogger } from '../platform/logger';
import { scalarText } from './json-value-capture';
import { seal } from '../platform/sealed';
import type { Prisma } from '../../generated/prisma/client';

const log = componentLogger('result-fields');

/** WeBank's envelope around every query answer. */
export interface Envelope {
  code: string;
  msg?: string;
  bizSeqNo?: string;
  transactionTime?: string;
}

/** The non-file fields of a query's `result`, as parsed. */
export type Scalars = Record<string, unknown>;

/**
 * Every result field we know, by its canonical name, with each spelling WeBank has used. Matching
 * is case-insensitive, so `Name`/`name` and `Idcard`/`idcard` are one field; `validate` is the
 * older pages' spelling of `validDate`. Sources (docs/simulator.md): OCR 1007/35864 (current:
 * lower-case, `validDate`, `frontMultiWarning`…), sync 1007/35880, queryfacerecord 1007/114181.
 */
const SPELLINGS: Record<string, readonly string[]> = {
  // Personal: sealed at rest (or dropped with PII_STORAGE=drop), never logged, masked in the console.
  idNo: ['idNo', 'idcard'],
  name: ['name'],
  sex: ['sex'],
  nation: ['nation'],
  birth: ['birth'],
  address: ['address'],
  authority: ['authority'],
  // Result columns.
  orderNo: ['orderNo', 'order_no'],
  bizSeqNo: ['bizSeqNo'],
  liveRate: ['liveRate'],
  similarity: ['similarity'],
  occurredTime: ['occurredTime'],
  idType: ['idType'],
  appId: ['appId', 'app_id'],
  // WeBank says `success` is meaningless; it is read and dropped.
  success: ['success'],
  // Non-personal details, kept as sent in `details`.
  frontCode: ['frontCode'],
  backCode: ['backCode'],
  frontWarnCode: ['frontWarnCode'],
  backWarnCode: ['backWarnCode'],
  frontMultiWarning: ['frontMultiWarning'],
  backMultiWarning: ['backMultiWarning'],
  frontClarity: ['frontClarity'],
  backClarity: ['backClarity'],
  validDate: ['validDate', 'validate'],
  operateTime: ['operateTime'],
  transactionTime: ['transactionTime'],
  sdkVersion: ['sdkVersion'],
  trtcFlag: ['trtcFlag'],
};

const CANONICAL: ReadonlyMap<string, string> = new Map(
  Object.entries(SPELLINGS).flatMap(([canon, names]) => names.map((n) => [n.toLowerCase(), canon] as const)),
);

/** Sealed together in `pii_sealed` (the ID number and name have their own sealed columns). */
const OTHER_PII = new Set(['sex', 'nation', 'birth', 'address', 'authority']);
const COLUMNS = new Set(['idNo', 'name', 'orderNo', 'bizSeqNo', 'liveRate', 'similarity', 'occurredTime', 'idType']);
const DROPPED = new Set(['success', 'appId']);

/**
 * A field we do not know whose name suggests personal data: sealed with the rest rather than
 * kept in clear or dropped. Errs on the side of sealing.
 */
const PERSONAL_LOOKING =
  /name|id_?no|id_?num|idcard|card|cert|address|addr|birth|sex|gender|nation|phone|mobile|tel|email|authority|valid|face|person|user/i;

const str = (v: unknown): string | undefined => (v === null || v === undefined || v === '' ? undefined : scalarText(v));

/** The result's fields under their canonical names; unknown fields keep theirs. First spelling wins. */
export function canonicalFields(result: Scalars): { known: Map<string, string>; unknown: Map<string, string> } {
  const known = new Map<string, string>();
  const unknown = new Map<string, string>();
  for (const [field, raw] of Object.entries(result)) {
    const v = str(raw);
    if (v === undefined) continue;
    const canon = CANONICAL.get(field.toLowerCase());
    if (canon) {
      if (!known.has(canon)) known.set(canon, v);
    } else {
      // An object's keys are unique, so an unknown field is met once: no "first wins" to check.
      unknown.set(field, v);
    }
  }
  return { known, unknown };
}

/**
 * Turns a query answer into the order's result columns, whichever spelling WeBank used. Every
 * field is kept: personal ones sealed (the ID number and name in their columns, the rest in
 * `pii_sealed`), the others in `details`. A field we do not know that looks personal is sealed
 * with the rest and logged by name (never value). With `piiKey` undefined (PII_STORAGE=drop)
 * personal fields are not kept at all.
 */
export function resultColumns(
  product: Product,
  envelope: Envelope,
  result: Scalars,
  piiKey: Buffer | undefined,
  /** Top-level fields besides the envelope's and `result` (app_id, order_no…): kept likewise; `result` wins. */
  topLevel: Scalars = {},
): Prisma.OrderUpdateInput {
  const { known, unknown } = canonicalFields({ ...withoutNested(topLevel), ...result });
  const sealIf = (v: string | undefined) => (v && piiKey ? seal(v, piiKey) : null);
  const other: Record<string, string> = {};
  const details: Record<string, string> = {};
  for (const [field, v] of known) {
    if (OTHER_PII.has(field)) other[field] = v;
    else if (!COLUMNS.has(field) && !DROPPED.has(field)) details[field] = v;
  }
  const sealedUnknown: string[] = [];
  for (const [field, v] of unknown) {
    if (PERSONAL_LOOKING.test(field)) {
      other[field] = v;
      sealedUnknown.push(field);
    } else details[field] = v;
  }
  if (sealedUnknown.length > 0)
    log.warn('unknown personal-looking result fields sealed', {
      product,
      fields: sealedUnknown.map((f) => f.slice(0, 64)),
    });
  return {
    resultCode: envelope.code,
    resultMsg: str(envelope.msg) ?? null,
    // The result's serial names the verification; the envelope's names only this query.
    bizSeqNo: known.get('bizSeqNo') ?? str(envelope.bizSeqNo) ?? null,
    liveRate: known.get('liveRate') ?? null,
    similarity: known.get('similarity') ?? null,
    occurredTime: known.get('occurredTime') ?? known.get('operateTime') ?? null,
    idType: known.get('idType') ?? null,
    // Absent from the answer: left as it is (a verification we started sealed the claimed identity).
    idNoSealed: sealIf(known.get('idNo')) ?? undefined,
    nameSealed: sealIf(known.get('name')) ?? undefined,
    piiSealed: Object.keys(other).length && piiKey ? seal(JSON.stringify(other), piiKey) : null,
    details: Object.keys(details).length ? details : undefined,
  };
}

/** Scalars only: a nested object at the top level is not a result field (nor is null: an empty field is not kept). */
function withoutNested(fields: Scalars): Scalars {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => typeof v !== 'object'));
}

/** The canonical value of a field (either spelling), for callers that branch on one. */
export function resultField(result: Scalars, canonical: string): string | undefined {
  return canonicalFields(result).known.get(canonical);
}
