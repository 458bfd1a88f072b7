import { badRequest } from '../platform/errors';
import type { MediaType } from './media-type';

/** What an evidence object's key is made of; see `evidenceKey`. */
export interface EvidenceKeyParts {
  appId: string;
  orderNo: string;
  /** The order's date (e.g. when it was verified); formatted in UTC so retries land on the same key. */
  date: Date;
  /** `photo`, `video`, `front_photo`... (see `evidenceKind`). */
  kind: string;
}

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const KIND = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * `{prefix}/{appId}/{yyyy}/{mm}/{dd}/{orderNo}/{kind}.{ext}`: deterministic, so a retried
 * archive overwrites its own objects instead of leaving copies; grouped by app and day, so
 * retention and audits can list one day of one app with a prefix. Each part is validated as a
 * plain segment: an order number cannot climb out of its folder.
 */
export function evidenceKey(prefix: string, parts: EvidenceKeyParts, ext: string): string {
  if (!KIND.test(parts.kind)) throw badRequest('evidence kind is not usable in a key', { kind: parts.kind });
  if (!/^[a-z0-9]{1,8}$/.test(ext)) throw badRequest('extension is not usable in a key', { ext });
  return `${orderKeyPrefix(prefix, parts)}${parts.kind}.${ext}`;
}

/** The key prefix (ending in `/`) holding every object of one order, for listing or purging it. */
export function orderKeyPrefix(prefix: string, parts: Omit<EvidenceKeyParts, 'kind'>): string {
  for (const [name, value] of [
    ['appId', parts.appId],
    ['orderNo', parts.orderNo],
  ] as const) {
    if (!SEGMENT.test(value)) throw badRequest(`${name} is not usable in an evidence key`, { [name]: value });
  }
  if (Number.isNaN(parts.date.getTime())) throw badRequest('order date is invalid');
  const yyyy = String(parts.date.getUTCFullYear()).padStart(4, '0');
  const mm = String(parts.date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(parts.date.getUTCDate()).padStart(2, '0');
  const folder = `${parts.appId}/${yyyy}/${mm}/${dd}/${parts.orderNo}/`;
  return prefix ? `${prefix}/${folder}` : folder;
}

/** WeBank field name to evidence kind: `frontPhoto` → `front_photo`, `video` → `video`. */
export function evidenceKind(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The extension for what the bytes are, not what they were supposed to be: `bin` when unknown,
 * so a "photo" that is not an image is never filed as one.
 */
export function extensionFor(detected: MediaType | undefined): string {
  return detected?.ext ?? 'bin';
}
