import { z } from 'zod';

/**
 * One time zone for everything staff read: console pages, the audit CSV, export manifests, the
 * CLI and timeline details. `DISPLAY_TIMEZONE` (an IANA name, default Asia/Shanghai: WeBank serves
 * mainland China) is applied by loadConfig; dates typed by staff without a zone are days in it,
 * and every formatted instant carries the zone's offset so it is never ambiguous.
 */
export const DEFAULT_DISPLAY_ZONE = 'Asia/Shanghai';
let zone = DEFAULT_DISPLAY_ZONE;

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(name);
  } catch {
    return false;
  }
}

/** Set once from the configuration (loadConfig). */
export function setDisplayZone(name: string): void {
  if (!isTimeZone(name)) throw new Error('DISPLAY_TIMEZONE: not an IANA time zone');
  zone = name;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(name: string): Intl.DateTimeFormat {
  let f = formatters.get(name);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(name, f);
  }
  return f;
}

interface ZonedParts {
  date: string;
  time: string;
  /** `+08:00` */
  offset: string;
}

function partsOf(d: Date, name = zone): ZonedParts {
  const p = Object.fromEntries(
    formatterFor(name)
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  const gmt = p.timeZoneName ?? 'GMT';
  const offset = gmt === 'GMT' ? '+00:00' : gmt.slice(3);
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}`, offset };
}

const offsetMinutes = (offset: string) =>
  (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));

/** The display zone and its current offset, for labels: `{ name: 'Asia/Shanghai', offset: '+08:00' }`. */
export function displayZone(at: Date = new Date()): { name: string; offset: string } {
  return { name: zone, offset: partsOf(at).offset };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The instant a day (YYYY-MM-DD) starts in the display zone. */
export function startOfDay(day: string): Date | undefined {
  const utcMidnight = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(utcMidnight.getTime()) || utcMidnight.toISOString().slice(0, 10) !== day) return undefined;
  // Two passes: the offset at the guess, then at the corrected instant (a DST change near midnight).
  let guess = utcMidnight.getTime() - offsetMinutes(partsOf(utcMidnight).offset) * 60_000;
  guess = utcMidnight.getTime() - offsetMinutes(partsOf(new Date(guess)).offset) * 60_000;
  return new Date(guess);
}

/** Today's date (YYYY-MM-DD) in the display zone, shifted by `days`. */
export function dayInZone(days = 0, now: Date = new Date()): string {
  const today = partsOf(now).date;
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Parses `2026-11-23` (start of that day in the display zone) or a full ISO timestamp; undefined when malformed. */
export function parseDayOrInstant(value: string, endOfDay = false): Date | undefined {
  if (DATE_ONLY.test(value)) {
    const start = startOfDay(value);
    if (!start) return undefined;
    if (!endOfDay) return start;
    const next = new Date(`${value}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return startOfDay(next.toISOString().slice(0, 10));
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

/** `2026-11-23 14:05:09 +08:00`, the way staff see instants (in the display zone, with its offset). */
export function formatInstant(d: Date | null | undefined): string {
  if (!d) return '';
  const p = partsOf(d);
  return `${p.date} ${p.time} ${p.offset}`;
}

/**
 * WeBank's `occurredTime` (`20261123140509` or `2026-11-23 14:05:09`) is Beijing time without a
 * zone; shown in the display zone with its offset. Undefined when it is not in either shape.
 */
export function formatWebankTime(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(d.getTime()) ? undefined : formatInstant(d);
}
