/**
 * Measures the console's order search on a million orders. Scratch database only:
 *
 *   createdb console_bench
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/console_bench npx tsx test/console/bench/search-bench.ts --seed
 *
 * --seed applies the migrations and inserts the rows (about a minute); later runs skip it.
 * Prints, per filter, the end-to-end time of searchOrders() (Prisma included) for the first page
 * and for the 20th page (keyset). `psql -f test/console/bench/explain.sql` shows the plans and
 * PostgreSQL's own execution times for the same SQL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/shared/platform/config';
import { createDb } from '../../../src/shared/platform/db';
import { migrate } from '../../../src/shared/platform/migrate';
import { orderSearchSchema, searchOrders } from '../../../src/shared/compliance/order-search';

async function main() {
  const url = process.env.DATABASE_URL;
  if (!url || /\/test$/.test(url)) throw new Error('point DATABASE_URL at a scratch database, not the test one');
  if (process.argv.includes('--seed')) {
    await migrate(url);
    const db = createDb(url, 1);
    await db.$executeRawUnsafe(readFileSync(path.join(__dirname, 'seed-orders.sql'), 'utf8').split('ANALYZE')[0]!);
    await db.$executeRawUnsafe('ANALYZE orders');
    await db.$disconnect();
  }
  const cfg = loadConfig({
    DATABASE_URL: url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    WEBANK_APP_ID: 'TIDA0001',
    WEBANK_SECRET: 'x',
    S3_BUCKET: 'unused',
    S3_ACCESS_KEY_ID: 'x',
    S3_SECRET_ACCESS_KEY: 'x',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    WEBANK_APPS: JSON.stringify([
      { key: 'b', appId: 'TIDA0002', secret: 'x' },
      { key: 'c', appId: 'TIDA0003', secret: 'x' },
    ]),
  });
  const db = createDb(url, 2);
  const total = await db.order.count();
  const probe = await db.order.findFirst({
    orderBy: { orderNo: 'asc' },
    skip: Math.floor(total / 2),
    select: { orderNo: true },
  });
  const month = (d: number) => new Date(Date.now() - d * 24 * 3600_000).toISOString().slice(0, 10);
  const cases: Record<string, Record<string, string>> = {
    'latest page, no filter': {},
    'orderNo exact': { orderNo: probe!.orderNo },
    'status EVIDENCE_MISSING (1%)': { status: 'EVIDENCE_MISSING' },
    'status PURGED (no rows)': { status: 'PURGED' },
    'resultCode 66660011 (3%)': { resultCode: '66660011' },
    'resultCode unknown (no rows)': { resultCode: '99999999' },
    'app + one month': { app: 'b', from: month(200), to: month(170) },
    'status FAILED + app + one month': { status: 'FAILED', app: 'c', from: month(200), to: month(170) },
    'resultCode + one day': { resultCode: '66660011', from: month(100), to: month(100) },
  };
  console.log(`${total} orders`);
  for (const [name, q] of Object.entries(cases)) {
    const f = orderSearchSchema.parse(q);
    await searchOrders(db, cfg, f);
    const times: number[] = [];
    let first = await searchOrders(db, cfg, f);
    for (let i = 0; i < 15; i++) {
      const t = process.hrtime.bigint();
      first = await searchOrders(db, cfg, f);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    let cursor = first.nextCursor;
    let page = 1;
    let deep = 0;
    while (cursor && page < 20) {
      const t = process.hrtime.bigint();
      const r = await searchOrders(db, cfg, { ...f, cursor });
      deep = Number(process.hrtime.bigint() - t) / 1e6;
      cursor = r.nextCursor;
      page++;
    }
    console.log(
      `${name.padEnd(34)} rows ${String(first.rows.length).padStart(2)}  median ${times[7]!.toFixed(1)} ms  page ${page}: ${deep.toFixed(1)} ms`,
    );
  }
  await db.$disconnect();
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
