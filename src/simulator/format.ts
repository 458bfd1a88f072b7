import { randomBytes } from 'node:crypto';

const CST_OFFSET_MS = 8 * 3600 * 1000;

/** WeBank's compact timestamp, China Standard Time: `yyyyMMddHHmmss`. */
export function compactTime(at: Date | number): string {
  const iso = new Date(new Date(at).getTime() + CST_OFFSET_MS).toISOString();
  return iso.slice(0, 19).replace(/[-T:]/g, '');
}

/** WeBank's readable timestamp, China Standard Time: `yyyy-MM-dd HH:mm:ss`. */
export function readableTime(at: Date | number): string {
  const iso = new Date(new Date(at).getTime() + CST_OFFSET_MS).toISOString();
  return iso.slice(0, 19).replace('T', ' ');
}

/** A run of decimal digits, like WeBank's `bizSeqNo`. */
export function digits(length: number): string {
  let out = '';
  for (const b of randomBytes(length)) out += String(b % 10);
  return out;
}

/** A lower-case hex id with a prefix, like `h5faceId` values. */
export function hexId(prefix: string, bytes = 15): string {
  return prefix + randomBytes(bytes).toString('hex');
}

/** Deterministic pseudo-random numbers (mulberry32) so fault injection can be replayed with a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
