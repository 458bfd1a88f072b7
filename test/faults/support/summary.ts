import type { CheckRow } from './checks';
import type { Plan } from './plan';
import type { Profile } from './profile';
import type { ScenarioResult } from './scenario';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Renders a fixed-width table; cells wider than the column are kept whole. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.min(80, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function planSummary(plan: Plan, profile: Profile, runId: string): string {
  const count = (k: string) => plan.faults.filter((f) => f.kind === k).length;
  return [
    `[faults] FAULT_SEED=${plan.seed} profile=${profile.name} run=${runId}: ${plan.orders.length} valid orders (` +
      `${plan.orders.filter((o) => o.outcome === 'pass').length} pass, ${plan.orders.filter((o) => o.outcome === 'fail').length} fail, ` +
      `${plan.orders.filter((o) => o.outcome === 'risk').length} risk; ${plan.orders.filter((o) => o.fileDelayMs > 0).length} with late files, ` +
      `${plan.orders.filter((o) => o.videoBytes).length} with a large video, ${plan.orders.filter((o) => o.reloadAfterMs !== undefined).length} reloaded), ` +
      `${plan.forgeries.length} forged, over ${secs(profile.windowMs)}`,
    `[faults] faults: ${count('redis-outage')} Redis crash, ${count('s3-outage')} S3 outage, ${count('s3-slow')} S3 slow, ` +
      `${count('webank-faults')} WeBank fault spells, ${count('rotate-tickets')} ticket rotation, ${count('pg-terminate')} PostgreSQL terminations, ` +
      `${plan.kills.length} worker SIGKILLs (${plan.kills.map((k) => `${k.point} ${k.orderNo}`).join(', ') || 'none'})`,
  ].join('\n');
}

export function runSummary(
  profile: Profile,
  sc: ScenarioResult,
  rows: CheckRow[],
  stats: Record<string, string>,
  timings: Record<string, number>,
): string {
  const out: string[] = [];
  out.push('', `==== fault suite (${profile.name}) — timeline ====`);
  for (const e of sc.timeline) out.push(`  t=${pad(secs(e.tMs), 8)} ${e.what}`);
  out.push('', '==== worker kills ====');
  if (!sc.kills.length) out.push('  none planned (profile)');
  for (const k of sc.kills)
    out.push(
      `  ${pad(k.point, 8)} ${k.orderNo}: ${k.fired ? `${k.replica} at t=${secs(k.tMs ?? 0)}: ${k.at}` : 'did not fire (no transfer of this order reached the trigger while armed, e.g. another fault cut its job first)'}`,
    );
  out.push('', '==== summary ====');
  out.push(
    table(
      ['check', 'expected', 'actual', 'ok'],
      rows.map((r) => [r.check, r.expected, r.actual, r.ok ? 'ok' : 'FAIL']),
    ),
  );
  for (const r of rows.filter((x) => !x.ok)) {
    out.push('', `  ✗ ${r.check}:`);
    for (const d of r.details) out.push(`      ${d}`);
  }
  out.push('');
  for (const [k, v] of Object.entries(stats)) out.push(`  ${pad(k, 44)} ${v}`);
  out.push(`  ${pad('PostgreSQL backends terminated', 44)} ${sc.pgTerminated}`);
  for (const [k, v] of Object.entries(timings)) out.push(`  ${pad(k, 44)} ${secs(v)}`);
  out.push('');
  return out.join('\n');
}
