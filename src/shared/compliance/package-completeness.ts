import { PRODUCTS, type Product } from '../platform/config';
import { AppError } from '../platform/errors';
import { filePlan } from '../webank/required-files';
import type { FileKind } from '../webank/products';
import type { Scalars } from '../webank/result-fields';

/**
 * Whether an order's evidence package is complete: which files the order should have (WeBank
 * serves a photo and a video for a passed face verification, the sides that succeeded for OCR),
 * which it has, and why not. A package is complete only for an ARCHIVED order holding every
 * expected file, none marked as failing its integrity check. `export check` fails an incomplete
 * package unless it is explicitly accepted, and the console asks before exporting one.
 */
export interface Completeness {
  complete: boolean;
  expected: string[];
  present: string[];
  missing: string[];
  /** Why it is incomplete: `status:<STATUS>`, `missing`, `no_files`; null when complete. */
  reason: string | null;
}

interface OrderForCompleteness {
  status: string;
  product: string;
  resultCode: string | null;
  details: unknown;
  evidence: { kind: string; integrityFailedAt: Date | null }[];
}

/**
 * `requiredFiles`: the app's own required set (WEBANK_APPS), as the archiver used it; optional files
 * WeBank did not provide (OCR crops, by default) do not make a package incomplete.
 */
export function packageCompleteness(o: OrderForCompleteness, requiredFiles?: readonly FileKind[]): Completeness {
  const product: Product = (PRODUCTS as readonly string[]).includes(o.product) ? (o.product as Product) : 'faceid';
  const details = (o.details && typeof o.details === 'object' ? o.details : {}) as Scalars;
  const expected: string[] = o.resultCode === '0' ? filePlan(product, details, requiredFiles).required : [];
  const present = o.evidence.filter((e) => e.integrityFailedAt === null).map((e) => e.kind);
  const missing = expected.filter((k) => !present.includes(k));
  const reason =
    o.status !== 'ARCHIVED'
      ? `status:${o.status}`
      : missing.length > 0
        ? 'missing'
        : present.length === 0
          ? 'no_files'
          : null;
  return { complete: reason === null, expected, present, missing, reason };
}

/** Refusal of an incomplete package that was not explicitly accepted. */
export const packageIncomplete = (c: Completeness) =>
  new AppError(
    'package_incomplete',
    409,
    `the evidence package would be incomplete (${c.reason}${c.missing.length ? `: missing ${c.missing.join(', ')}` : ''}); confirm to export it marked incomplete`,
    { completeness: c },
  );
