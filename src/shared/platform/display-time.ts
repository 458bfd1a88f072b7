import { z } from 'zod';

/**
 * WeBank serves mainland China, so dates typed by staff without a zone are China Standard Time
 * days (UTC+8, no daylight saving); timestamps with an offset are taken as written.
 */
export const CONSOLE_UTC_OFFSET = '+08:00';
const OFFSET_MS = 8 * 3600_000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Parses `2026-11-23` (start of that day, UTC+8) or a full ISO timestamp; undefined when malformed. */
export function parseDayOrInstant(value: string, endOfDay = false): Date | undefined {
  if (DATE_ONLY.test(value)) {
    const start = new Date(`${value}T00:00:00${CONSOLE_UTC_OFFSET}`);
    if (Number.isNaN(start.getTime())) return undefined;
    return endOfDay ? new Date(start.getTime() + 24 * 3600_000) : start;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A zod field for `from` (inclusive) or `to` (a day is inclusive: up to its end). */
export const dayOrInstant = (endOfDay: boolean) =>
  z
    .string()
    .trim()
    .transform((v, ctx) => {
      const d = parseDayOrInstant(v, endOfDay);
      if (!d) {
        ctx.addIssue({ code: 'custom', message: 'expected YYYY-MM-DD or an ISO timestamp with zone' });
        return z.NEVER;
      }
      return d;
    });

/** `2026-11-23 14:05:09 +08:00`, the way the console shows instants. */
export function formatInstant(d: Date | null | undefined): string {
  if (!d) return '';
  const shifted = new Date(d.getTime() + OFFSET_MS).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)} ${CONSOLE_UTC_OFFSET}`;
}
