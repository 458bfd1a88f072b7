import type { Config } from '../platform/config';
import { dataKey, open } from '../platform/sealed';

/**
 * 110101199001011234 → 11**************34, E12345678 → E1*****78: at most two characters at each
 * end, and never more than a quarter of the value at each end, so at least half stays hidden and
 * shorter values mask more (123456 → 1****6, 123 → ***). A passport number has few characters:
 * showing a third at each end (E12***678) left only three to guess.
 */
export function maskIdNo(idNo: string): string {
  const chars = [...idNo];
  const keep = Math.min(2, Math.floor(chars.length / 4));
  if (keep === 0) return '*'.repeat(chars.length);
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - 2 * keep) + chars.slice(-keep).join('');
}

/** 张三 → 张*, 欧阳娜娜 → 欧***; a single character is fully masked. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}

export interface SealedPii {
  idNoSealed: string | null;
  nameSealed: string | null;
}

export interface Pii {
  idNo: string | null;
  name: string | null;
}

/** Opens an order's sealed ID number and name; null when not stored (PII_STORAGE=drop) or not openable. */
export function openPii(cfg: Config, order: SealedPii): Pii & { unreadable: boolean } {
  const key = dataKey(cfg.DATA_ENCRYPTION_KEY);
  let unreadable = false;
  const tryOpen = (v: string | null) => {
    if (!v) return null;
    try {
      return open(v, key);
    } catch {
      unreadable = true;
      return null;
    }
  };
  const idNo = tryOpen(order.idNoSealed);
  const name = tryOpen(order.nameSealed);
  return { idNo, name, unreadable };
}

/** The masked forms shown to everyone. */
export function maskedPii(cfg: Config, order: SealedPii): Pii {
  const pii = openPii(cfg, order);
  return { idNo: pii.idNo === null ? null : maskIdNo(pii.idNo), name: pii.name === null ? null : maskName(pii.name) };
}
