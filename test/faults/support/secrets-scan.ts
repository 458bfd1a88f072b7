/** A value that must never appear in a log line, and what it is. */
export interface Needle {
  label: string;
  value: string;
}

export interface Leak {
  label: string;
  process: string;
  line: string;
}

// Character classes a needle may belong to; a log is cut into maximal runs of each class and
// only windows of the needles' lengths are compared, so thousands of needles cost one pass.
const CLASSES: { name: string; test: RegExp; run: RegExp }[] = [
  { name: 'id', test: /^[0-9Xx]+$/, run: /[0-9Xx]+/g },
  { name: 'hex', test: /^[0-9A-Fa-f]+$/, run: /[0-9A-Fa-f]+/g },
  { name: 'token', test: /^[A-Za-z0-9_\-+/=%.]+$/, run: /[A-Za-z0-9_\-+/=%.]+/g },
  { name: 'wide', test: /^[^\x00-\x7f]+$/, run: /[^\x00-\x7f]+/g },
];

/**
 * Finds needles (tickets, secrets, signatures, ID numbers, names) in log lines. Hex needles match
 * case-insensitively (signatures are hex, and could be logged in either case). Values with
 * characters that URL-encoding changes are also looked for encoded.
 */
export function findLeaks(lines: { process: string; text: string }[], needles: Needle[]): Leak[] {
  const expanded: Needle[] = [];
  for (const n of needles) {
    // Short ASCII values would match by chance; a Chinese name is short and still telling.
    if (n.value.length < (/^[\x00-\x7f]*$/.test(n.value) ? 6 : 2)) continue;
    expanded.push(n);
    const enc = encodeURIComponent(n.value);
    if (enc !== n.value) expanded.push({ label: `${n.label} (URL-encoded)`, value: enc });
  }
  const byClass = CLASSES.map((c) => {
    const mine = expanded.filter(
      (n) => c.test.test(n.value) && !CLASSES.slice(0, CLASSES.indexOf(c)).some((p) => p.test.test(n.value)),
    );
    const byLength = new Map<number, Map<string, string>>();
    for (const n of mine) {
      const key = c.name === 'hex' ? n.value.toUpperCase() : n.value;
      if (!byLength.has(key.length)) byLength.set(key.length, new Map());
      byLength.get(key.length)!.set(key, n.label);
    }
    return { c, byLength, min: Math.min(...byLength.keys()) };
  });
  const leaks: Leak[] = [];
  for (const line of lines) {
    for (const { c, byLength, min } of byClass) {
      if (byLength.size === 0) continue;
      c.run.lastIndex = 0;
      for (const m of line.text.matchAll(c.run)) {
        const run = c.name === 'hex' ? m[0].toUpperCase() : m[0];
        if (run.length < min) continue;
        for (const [len, set] of byLength) {
          for (let i = 0; i + len <= run.length; i++) {
            const label = set.get(run.slice(i, i + len));
            if (label) leaks.push({ label, process: line.process, line: line.text.slice(0, 300) });
          }
        }
      }
    }
  }
  return leaks;
}
