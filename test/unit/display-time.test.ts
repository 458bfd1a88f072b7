import {
  dayInZone,
  displayZone,
  formatInstant,
  formatWebankTime,
  parseDayOrInstant,
  setDisplayZone,
} from '../../src/shared/platform/display-time';
import { loadConfig } from '../../src/shared/platform/config';

afterEach(() => setDisplayZone('Asia/Shanghai'));

test('by default instants are shown in China Standard Time with the offset', () => {
  expect(formatInstant(new Date('2026-11-23T06:05:09Z'))).toBe('2026-11-23 14:05:09 +08:00');
  expect(displayZone()).toEqual({ name: 'Asia/Shanghai', offset: '+08:00' });
  expect(parseDayOrInstant('2026-11-23')?.toISOString()).toBe('2026-11-22T16:00:00.000Z');
  expect(parseDayOrInstant('2026-11-23', true)?.toISOString()).toBe('2026-11-23T16:00:00.000Z');
});

test('DISPLAY_TIMEZONE moves every formatted instant and typed day to that zone, daylight saving included', () => {
  loadConfig({ ...process.env, DISPLAY_TIMEZONE: 'Europe/Berlin' });
  expect(formatInstant(new Date('2026-07-01T10:00:00Z'))).toBe('2026-07-01 12:00:00 +02:00');
  expect(formatInstant(new Date('2026-12-01T10:00:00Z'))).toBe('2026-12-01 11:00:00 +01:00');
  expect(parseDayOrInstant('2026-07-01')?.toISOString()).toBe('2026-06-30T22:00:00.000Z');
  // WeBank's occurredTime is Beijing time without a zone: converted, not relabelled.
  expect(formatWebankTime('20261123140509')).toBe('2026-11-23 07:05:09 +01:00');
});

test('a zone that is not an IANA name is refused by the configuration', () => {
  expect(() => loadConfig({ ...process.env, DISPLAY_TIMEZONE: 'Mars/Olympus' })).toThrow(/DISPLAY_TIMEZONE/);
});

test('date shortcuts count days in the display zone', () => {
  // 23:30 UTC is already the next day in Shanghai.
  expect(dayInZone(0, new Date('2026-11-23T23:30:00Z'))).toBe('2026-11-24');
  expect(dayInZone(-6, new Date('2026-11-23T23:30:00Z'))).toBe('2026-11-18');
});
