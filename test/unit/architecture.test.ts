import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layout rules of docs/architecture.md, read off the source tree: who writes the `orders`
 * table, which way imports point, and where the order lifecycle is defined. A rule broken here is
 * broken for everyone reading the code next, so the test lists each offending line.
 */

const ROOT = path.join(__dirname, '../..');
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
/** Never ours to judge: dependencies, builds, reports, the generated Prisma client. */
const NOT_OURS = ['node_modules/', 'dist/', 'coverage/', 'reports/', 'test-artifacts/', 'src/generated/'];

/** Repository-relative POSIX paths of every source file (dot folders skipped). */
function sourceFiles(dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name.startsWith('.') || NOT_OURS.some((p) => `${rel}/`.startsWith(p))) continue;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (SOURCE.test(entry.name)) out.push(rel);
  }
  return out;
}

/** The text without comments (prose may say "update orders"); `//` only after a blank, so URLs stay. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[ \t])\/\/.*$/gm, '$1');
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

function matches(file: string, text: string, pattern: RegExp): string[] {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  return [...text.matchAll(new RegExp(pattern.source, flags))].map(
    (m) => `${file}:${lineOf(text, m.index)}: ${m[0].replace(/\s+/g, ' ').slice(0, 80)}`,
  );
}

// ---- (a) writes to `orders`

const ORDER_WRITES: RegExp[] = [
  /\.\s*order\s*\.\s*(update|updateMany|updateManyAndReturn|create|createMany|createManyAndReturn|upsert|delete|deleteMany)\s*\(/,
  // A nested write through a relation, e.g. callbackEvent.create({ data: { order: { create: … } } }).
  /\border\s*:\s*\{\s*(create|update|upsert|connectOrCreate|delete)\s*:/,
  /\bUPDATE\s+(ONLY\s+)?("?public"?\.)?"?orders"?\b/i,
  /\bINSERT\s+INTO\s+("?public"?\.)?"?orders"?\b/i,
  /\bDELETE\s+FROM\s+(ONLY\s+)?("?public"?\.)?"?orders"?\b/i,
  /\bTRUNCATE\s+(TABLE\s+)?(ONLY\s+)?("?public"?\.)?"?orders"?\b/i,
];
/** Where writes to `orders` may be: the orders concern; tools and tests set up their own rows. */
const MAY_WRITE_ORDERS = ['src/shared/orders/', 'src/simulator/', 'test/', 'bench/'];

function orderWrites(file: string, text: string): string[] {
  return ORDER_WRITES.flatMap((p) => matches(file, code(text), p));
}

// ---- (b) imports

/** Our modules a file imports, as repository-relative paths without extension. */
function importsOf(file: string, text: string): string[] {
  const specs = [
    ...code(text).matchAll(/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...code(text).matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
    ...code(text).matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(SOURCE, ''));
}

interface ImportRule {
  rule: string;
  /** Files the rule is about (path prefixes). */
  files: string[];
  /** When given, the only places they may import from (besides the Prisma client). */
  only?: string[];
  /** Places they must not import from. */
  never?: string[];
}

const ENTRY_AND_TOOLS = ['src/web/', 'src/workers/', 'src/cli/', 'src/simulator/', 'src/demo/', 'src/dev/'];

const IMPORT_RULES: ImportRule[] = [
  { rule: 'platform imports nothing else of ours', files: ['src/shared/platform/'], only: ['src/shared/platform/'] },
  {
    rule: 'webank imports only platform',
    files: ['src/shared/webank/'],
    only: ['src/shared/platform/', 'src/shared/webank/'],
  },
  {
    rule: 'evidence imports only platform',
    files: ['src/shared/evidence/'],
    only: ['src/shared/platform/', 'src/shared/evidence/'],
  },
  {
    rule: 'orders imports platform and webank only',
    files: ['src/shared/orders/'],
    only: ['src/shared/orders/', 'src/shared/platform/', 'src/shared/webank/'],
  },
  { rule: 'orders does not import compliance', files: ['src/shared/orders/'], never: ['src/shared/compliance/'] },
  {
    rule: 'partners imports platform, orders and compliance only',
    files: ['src/shared/partners/'],
    only: ['src/shared/partners/', 'src/shared/platform/', 'src/shared/orders/', 'src/shared/compliance/'],
  },
  {
    rule: 'no other concern imports partners',
    files: [
      'src/shared/platform/',
      'src/shared/webank/',
      'src/shared/evidence/',
      'src/shared/orders/',
      'src/shared/compliance/',
    ],
    never: ['src/shared/partners/'],
  },
  { rule: 'a concern never imports an entry layer or a tool', files: ['src/shared/'], never: ENTRY_AND_TOOLS },
  { rule: 'web does not import the CLI', files: ['src/web/'], never: ['src/cli/'] },
  { rule: 'the CLI does not import web', files: ['src/cli/'], never: ['src/web/'] },
  {
    rule: 'production code does not import tools',
    files: ['src/web/', 'src/workers/', 'src/cli/', 'src/shared/'],
    never: ['src/simulator/', 'src/demo/', 'src/dev/'],
  },
];

function importViolations(file: string, text: string): string[] {
  const targets = importsOf(file, text);
  return IMPORT_RULES.filter((r) => r.files.some((f) => file.startsWith(f))).flatMap((r) =>
    targets
      .filter((t) => !t.startsWith('src/generated/'))
      .filter(
        (t) =>
          (r.only !== undefined && !r.only.some((o) => t.startsWith(o))) ||
          (r.never ?? []).some((n) => t.startsWith(n)),
      )
      .map((t) => `${file} imports ${t} (${r.rule})`),
  );
}

// ---- (c) the lifecycle defined once

const LIFECYCLE = 'src/shared/orders/lifecycle.ts';
const STATUSES = (() => {
  const schema = readFileSync(path.join(ROOT, 'prisma/schema.prisma'), 'utf8');
  const body = /enum OrderStatus \{([^}]*)\}/.exec(schema)?.[1] ?? '';
  return [...body.matchAll(/^\s*([A-Z_]+)\b/gm)].map((m) => m[1]!);
})();
const quotedStatus = new RegExp(`(['"\`])(${STATUSES.join('|')})\\1`, 'g');

/** Two or more status names in one list (array, Set, SQL IN), or a table keyed by status. */
function statusGroups(file: string, text: string): string[] {
  const body = code(text);
  const lists = [...body.matchAll(/\[[^[\]]*\]|\bIN\s*\([^()]*\)/gi)]
    .filter((m) => (m[0].match(quotedStatus) ?? []).length >= 2)
    .map((m) => `${file}:${lineOf(body, m.index)}: ${m[0].replace(/\s+/g, ' ').slice(0, 80)}`);
  const tables = matches(file, body, new RegExp(`\\b(${STATUSES.join('|')})['"]?\\s*:\\s*\\[`));
  const edges = matches(file, body, new RegExp(`\\b(from|to)\\s*:\\s*\\[\\s*(['"\`])(${STATUSES.join('|')})\\2`));
  return [...lists, ...tables, ...edges];
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('architecture rules (docs/architecture.md)', () => {
  const files = sourceFiles();

  test('the tree is read: our layers are there and the statuses come from the schema', () => {
    for (const dir of ['src/shared/orders/', 'src/shared/platform/', 'src/workers/', 'src/web/', 'src/cli/'])
      expect(files.some((f) => f.startsWith(dir))).toBe(true);
    expect(STATUSES).toEqual(expect.arrayContaining(['EXPECTED', 'QUEUED', 'ARCHIVED', 'PURGED']));
  });

  test('the detectors find what they look for', () => {
    const f = 'src/workers/x.ts';
    expect(orderWrites(f, 'await deps.db.order\n  .updateMany({ where: {} });')).toHaveLength(1);
    expect(orderWrites(f, 'tx.order.upsert({})')).toHaveLength(1);
    expect(orderWrites(f, 'db.$executeRaw`update "orders" set x = 1`')).toHaveLength(1);
    expect(orderWrites(f, 'db.$executeRaw`INSERT INTO orders (id) VALUES (1)`')).toHaveLength(1);
    expect(orderWrites(f, 'db.$executeRaw`DELETE FROM orders`')).toHaveLength(1);
    expect(orderWrites(f, 'db.callbackEvent.create({ data: { order: { create: {} } } })')).toHaveLength(1);
    expect(orderWrites(f, 'db.order.findMany({}); // workers never UPDATE orders\n/* DELETE FROM orders */')).toEqual(
      [],
    );
    expect(orderWrites(f, 'db.orderEvent.create({}); db.order.groupBy({})')).toEqual([]);

    expect(importViolations('src/shared/platform/a.ts', "import { x } from '../orders/b';")).toHaveLength(1);
    expect(importViolations('src/shared/platform/a.ts', "import { x } from '../../generated/prisma/client';")).toEqual(
      [],
    );
    expect(importViolations('src/shared/orders/a.ts', "import {\n  y,\n} from '../compliance/audit';")).toHaveLength(2);
    expect(importViolations('src/shared/evidence/a.ts', "const m = await import('../../web/app');")).toHaveLength(2);
    expect(importViolations('src/cli/a.ts', "export { z } from '../web/z';")).toHaveLength(1);
    expect(importViolations('src/web/a.ts', "import '../shared/orders/lifecycle';")).toEqual([]);

    expect(statusGroups(f, "const DONE = ['ARCHIVED',\n 'FAILED'] as const;")).toHaveLength(1);
    expect(statusGroups(f, 'new Set(["QUEUED", \'ARCHIVING\'])')).toHaveLength(1);
    expect(statusGroups(f, "db.$queryRaw`SELECT 1 FROM orders WHERE status IN ('QUEUED', 'FAILED')`")).toHaveLength(1);
    expect(statusGroups(f, "const NEXT = { QUEUED: ['ARCHIVING'] };")).toHaveLength(1);
    expect(statusGroups(f, "const T = { retry: { from: ['ARCHIVING'], to: 'QUEUED' } };")).toHaveLength(1);
    expect(statusGroups(f, "fields: { status: 'ARCHIVED' }; if (s === 'QUEUED') f(['a', 'b']);")).toEqual([]);
  });

  test('(a) only src/shared/orders writes the orders table', () => {
    const offenders = files
      .filter((f) => !MAY_WRITE_ORDERS.some((p) => f.startsWith(p)))
      .flatMap((f) => orderWrites(f, read(f)));
    expect(offenders).toEqual([]);
  });

  test('(b) imports point the way docs/architecture.md says', () => {
    const offenders = files.filter((f) => f.startsWith('src/')).flatMap((f) => importViolations(f, read(f)));
    expect(offenders).toEqual([]);
  });

  test('(b) src/shared has no loose files: each file is in its concern folder', () => {
    const loose = readdirSync(path.join(ROOT, 'src/shared'), { withFileTypes: true })
      .filter((e) => !e.isDirectory())
      .map((e) => `src/shared/${e.name}`);
    expect(loose).toEqual([]);
  });

  test('(c) status groups and transitions are defined only in the lifecycle module', () => {
    const offenders = files
      .filter((f) => f.startsWith('src/') && f !== LIFECYCLE && !f.startsWith('src/simulator/'))
      .flatMap((f) => statusGroups(f, read(f)));
    expect(offenders).toEqual([]);
    // …and the lifecycle module is where they are.
    expect(statusGroups(LIFECYCLE, read(LIFECYCLE)).length).toBeGreaterThan(0);
  });
});
