/** One line of the printed table. */
export interface Row {
  metric: string;
  value: string;
  /** The baseline measured in the same run, and the ratio value/baseline. */
  baseline?: string;
  ratio?: string;
  target?: string;
  /** Whether the target is met; undefined when the row has no target. */
  met?: boolean;
}

export interface TargetCheck {
  name: string;
  measured: number;
  unit: string;
  target: string;
  met: boolean;
}

export interface SectionResult {
  title: string;
  rows: Row[];
  targets: TargetCheck[];
  /** Where the time went, what limited the run, how it was measured. */
  notes: string[];
  data: Record<string, unknown>;
}

export const pct = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

function pad(s: string, n: number): string {
  const width = [...s].length;
  return width >= n ? s : s + ' '.repeat(n - width);
}

/** The table: metric, value, baseline, ratio, target, met. */
export function formatTable(sections: SectionResult[]): string {
  const head: Row = {
    metric: 'metric',
    value: 'measured',
    baseline: 'baseline (same run)',
    ratio: 'ratio',
    target: 'target',
  };
  const all = sections.flatMap((s) => s.rows);
  const cols = ['metric', 'value', 'baseline', 'ratio', 'target'] as const;
  const widths = Object.fromEntries(
    cols.map((c) => [c, Math.max(...[head, ...all].map((r) => [...(r[c] ?? '')].length))]),
  ) as Record<(typeof cols)[number], number>;
  const line = (r: Row, mark: string) =>
    `  ${cols.map((c) => pad(r[c] ?? '', widths[c])).join('  ')}  ${mark}`.trimEnd();
  const out: string[] = [];
  out.push(line(head, 'met'));
  for (const s of sections) {
    out.push('', `${s.title}`);
    for (const r of s.rows) out.push(line(r, r.met === undefined ? '' : r.met ? 'yes' : 'NO'));
    for (const n of s.notes) out.push(`    · ${n}`);
  }
  return out.join('\n');
}

/** The same table as Markdown (bench/results/latest.md), for docs/benchmarks.md and the README. */
export function formatMarkdown(sections: SectionResult[], machine: string): string {
  const esc = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|').trim();
  const out = [
    `Machine: ${machine}`,
    '',
    '| metric | measured | baseline (same run) | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of sections) {
    out.push(`| **${esc(s.title)}** | | | | | |`);
    for (const r of s.rows) {
      out.push(
        `| ${esc(r.metric)} | ${esc(r.value)} | ${esc(r.baseline)} | ${esc(r.ratio)} | ${esc(r.target)} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`,
      );
    }
  }
  out.push('');
  for (const s of sections) {
    if (s.notes.length === 0) continue;
    out.push(`${s.title.split(':')[0]}:`, ...s.notes.map((n) => `- ${n}`), '');
  }
  return `${out.join('\n')}`;
}
