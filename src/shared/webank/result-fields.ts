import type { Product } from '../platform/config';
import { scalarText } from './json-value-capture';
import { seal } from '../platform/sealed';
import type { Prisma } from '../../generated/prisma/client';

/** WeBank's envelope around every query answer. */
export interface Envelope {
  code: string;
  msg?: string;
  bizSeqNo?: string;
  transactionTime?: string;
}

/** The non-file fields of a query's `result`, as parsed. */
export type Scalars = Record<string, unknown>;

/** Personal fields per product: sealed at rest (or dropped), never logged, masked in the console. */
const PII_FIELDS: Record<Product, { idNo?: string; name?: string; other: string[] }> = {
  faceid: { idNo: 'idNo', name: 'name', other: [] },
  liveness: { other: [] },
  ocr: { idNo: 'Idcard', name: 'Name', other: ['Sex', 'Nation', 'Birth', 'Address', 'Authority'] },
};

/** Non-personal product fields kept as they are in `details`. */
const DETAIL_FIELDS: Record<Product, string[]> = {
  faceid: [],
  liveness: [],
  ocr: ['frontCode', 'backCode', 'frontWarnCode', 'backWarnCode', 'validate', 'operateTime'],
};

const str = (v: unknown): string | undefined => (v === null || v === undefined || v === '' ? undefined : scalarText(v));

/**
 * Turns a query answer into the order's result columns. `success` is ignored (WeBank says it
 * is meaningless). With `piiKey` undefined (PII_STORAGE=drop) personal fields are not kept at all.
 */
export function resultColumns(
  product: Product,
  envelope: Envelope,
  result: Scalars,
  piiKey: Buffer | undefined,
): Prisma.OrderUpdateInput {
  const pii = PII_FIELDS[product];
  const sealIf = (v: unknown) => {
    const s = str(v);
    return s && piiKey ? seal(s, piiKey) : null;
  };
  const other: Record<string, string> = {};
  for (const f of pii.other) {
    const v = str(result[f]);
    if (v !== undefined) other[f] = v;
  }
  const details: Record<string, string> = {};
  for (const f of DETAIL_FIELDS[product]) {
    const v = str(result[f]);
    if (v !== undefined) details[f] = v;
  }
  return {
    resultCode: envelope.code,
    resultMsg: str(envelope.msg) ?? null,
    // The result's serial names the verification; the envelope's names only this query.
    bizSeqNo: str(result.bizSeqNo) ?? str(envelope.bizSeqNo) ?? null,
    liveRate: str(result.liveRate) ?? null,
    similarity: str(result.similarity) ?? null,
    occurredTime: str(result.occurredTime) ?? str(result.operateTime) ?? null,
    idType: str(result.idType) ?? null,
    // Absent from the answer: left as it is (a verification we started sealed the claimed identity).
    idNoSealed: (pii.idNo && sealIf(result[pii.idNo])) || undefined,
    nameSealed: (pii.name && sealIf(result[pii.name])) || undefined,
    piiSealed: Object.keys(other).length && piiKey ? seal(JSON.stringify(other), piiKey) : null,
    details: Object.keys(details).length ? details : undefined,
  };
}

/**
 * The files a successful answer should carry. OCR sides succeed independently: only the
 * recognised side's images are expected (the head photo comes with the front side).
 */
export function expectedKinds(product: Product, result: Scalars): string[] {
  if (product !== 'ocr') return ['photo', 'video'];
  const kinds: string[] = [];
  if (str(result.frontCode) === '0') kinds.push('front_photo', 'front_crop', 'head_photo');
  if (str(result.backCode) === '0') kinds.push('back_photo', 'back_crop');
  return kinds;
}
