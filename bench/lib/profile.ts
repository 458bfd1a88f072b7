import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Where a function lives: `pkg:<name>` for dependencies, the repo path for our code, `node:` for core. */
function owner(url: string): string {
  if (!url) return '(native / gc / idle)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `pkg:${nm[1]}`;
  if (url.startsWith('node:')) return url;
  const src = /\/(src|bench)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : path.basename(url);
}

/**
 * Self time of a V8 .cpuprofile (node --cpu-prof), summed per function and per module/package:
 * enough to name the hotspot without opening DevTools.
 */
export function summarizeProfile(file: string, label = path.basename(file), top = 12): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number };
  const total = prof.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const byFn = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let idle = 0;
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const f = n.callFrame;
    if (f.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const fn = `${f.functionName || '(anonymous)'} ${f.url ? `${owner(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    const o = ['(garbage collector)', '(program)'].includes(f.functionName) ? f.functionName : owner(f.url);
    byOwner.set(o, (byOwner.get(o) ?? 0) + hits);
  }
  const busy = total - idle || 1;
  // Inclusive: a sample counts once for every module on its stack (who asked for the work).
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits || n.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)?.callFrame.url;
      if (url) seen.add(owner(url));
    }
    for (const o of seen) inclusive.set(o, (inclusive.get(o) ?? 0) + hits);
  }
  const fmt = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `      ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return [
    `  ${label} (${file}): ${(((total - idle) / total) * 100).toFixed(0)} % of samples busy; shares of busy time:`,
    '    by module / package (self):',
    fmt(byOwner),
    '    by module / package (inclusive: on the stack):',
    fmt(inclusive),
    '    by function (self time):',
    fmt(byFn),
  ].join('\n');
}

/**
 * A target run with `--import tsx` writes two profiles: the main thread's and the module
 * loader's (a worker thread). The main thread's is the larger one.
 */
export function mainThreadProfile(dir: string): string | undefined {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.cpuprofile'))
      .map((n) => path.join(dir, n))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  } catch {
    return undefined;
  }
}
