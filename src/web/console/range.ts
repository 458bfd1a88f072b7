/**
 * One HTTP byte range (RFC 9110 §14) against an object of `size` bytes. Like Express's
 * static files: a malformed header or several ranges are ignored (the whole object is sent,
 * which the RFC allows), a well-formed range that cannot be satisfied is a 416.
 */
export type RangeResult =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  const [, first, last] = m as unknown as [string, string, string];
  if (first.length > 15 || last.length > 15) return { kind: 'unsatisfiable' };
  let start: number;
  let end: number;
  if (first === '') {
    // suffix range: the last N bytes
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return { kind: 'unsatisfiable' };
    if (start >= size) return { kind: 'unsatisfiable' };
  }
  return { kind: 'partial', start, end };
}
