import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import type { CliIo } from '../../src/cli/io';
import { runCli } from '../../src/cli/program';
import { recordAudit } from '../../src/shared/compliance/audit';
import { verifyAuditChain } from '../../src/shared/compliance/audit-chain';
import { createStaffUser } from '../../src/shared/compliance/staff/accounts';
import { createDb, type Db } from '../../src/shared/platform/db';

/**
 * Issue 15 item 11: the app's role owned audit_log, so `ALTER TABLE ... DISABLE TRIGGER USER;
 * DELETE ...` worked. Here a fresh database is set up the way compose's init script does it (an
 * owner role that migrates, a runtime login role in `faceid_runtime`), migrated with
 * `npm run db:migrate` as the owner, and attacked as the runtime role and as a superuser.
 */
const ROOT = path.join(__dirname, '../..');
const suffix = randomBytes(4).toString('hex');
const dbName = `audit_chain_${suffix}`;
const owner = `audit_owner_${suffix}`;
const runtime = `audit_app_${suffix}`;
const ownerPw = randomBytes(12).toString('hex');
const runtimePw = randomBytes(12).toString('hex');

function urlFor(user: string | undefined, password: string | undefined, database: string): string {
  const u = new URL(process.env.DATABASE_URL!);
  if (user) {
    u.username = user;
    u.password = password ?? '';
  }
  u.pathname = `/${database}`;
  return u.toString();
}

const superUrl = (database: string) => urlFor(undefined, undefined, database);
const ownerUrl = urlFor(owner, ownerPw, dbName);
const runtimeUrl = urlFor(runtime, runtimePw, dbName);

async function sql(url: string, text: string, params: unknown[] = []) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

let appDb: Db;

beforeAll(async () => {
  // What docker/postgres-init does on a fresh volume.
  await sql(
    superUrl('postgres'),
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'faceid_runtime') THEN CREATE ROLE faceid_runtime NOLOGIN; END IF; END $$`,
  );
  await sql(superUrl('postgres'), `CREATE ROLE ${owner} LOGIN CREATEROLE PASSWORD '${ownerPw}'`);
  await sql(superUrl('postgres'), `CREATE ROLE ${runtime} LOGIN PASSWORD '${runtimePw}'`);
  await sql(superUrl('postgres'), `CREATE DATABASE ${dbName} OWNER ${owner}`);
  const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/shared/platform/migrate.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', MIGRATION_DATABASE_URL: ownerUrl, DATABASE_URL: runtimeUrl },
  });
  if (run.status !== 0) throw new Error(`migrate failed: ${run.stderr}`);
  expect(run.stdout).toMatch(new RegExp(`granted faceid_runtime to ${runtime}|${runtime} is a member`));
  appDb = createDb(runtimeUrl, 4);
}, 120_000);

afterAll(async () => {
  await appDb?.$disconnect();
  await sql(superUrl('postgres'), `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await sql(superUrl('postgres'), `DROP ROLE IF EXISTS ${runtime}`);
  await sql(superUrl('postgres'), `DROP ROLE IF EXISTS ${owner}`);
});

const entry = (n: number) => ({
  actor: `user:chain-${n}`,
  actorRole: 'viewer',
  action: 'search' as const,
  outcome: 'success' as const,
  detail: { n },
});

describe('the runtime role', () => {
  test('when it writes its usual rows, then it can (audit rows, staff accounts)', async () => {
    await recordAudit(appDb, entry(0));
    await createStaffUser(appDb, { username: `u${suffix}`, role: 'viewer', password: 'long enough password' });
    expect(await appDb.auditEntry.count()).toBeGreaterThan(0);
  });

  test.each([
    ['UPDATE', `UPDATE audit_log SET actor = 'someone-else'`],
    ['DELETE', `DELETE FROM audit_log`],
    ['TRUNCATE', `TRUNCATE audit_log`],
    ['DISABLE TRIGGER', `ALTER TABLE audit_log DISABLE TRIGGER USER`],
    ['DISABLE the chain trigger', `ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain`],
    ['DROP TRIGGER', `DROP TRIGGER audit_log_no_update_delete ON audit_log`],
    ['move the chain head', `UPDATE audit_log_chain SET last_hash = 'x'`],
    [
      'forge a hash',
      `INSERT INTO audit_log (actor, action, outcome, hash, prev_hash) VALUES ('x', 'search', 'success', 'forged', 'forged') RETURNING hash`,
    ],
  ])('when it tries %s on the audit trail, then PostgreSQL refuses', async (what, statement) => {
    if (what === 'forge a hash') {
      // The insert is allowed, but the trigger replaces whatever hashes it was given.
      const r = await sql(runtimeUrl, statement);
      expect(r.rows[0].hash).not.toBe('forged');
      return;
    }
    await expect(sql(runtimeUrl, statement)).rejects.toThrow(/permission denied|must be owner|append-only/);
  });
});

describe('the hash chain', () => {
  test('when many rows are written at once, then the chain stays whole', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => recordAudit(appDb, entry(i + 1))));
    const report = await verifyAuditChain(appDb, { batch: 7 });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.rows).toBeGreaterThanOrEqual(31);
  });

  test('when a superuser deletes or alters a row, then `audit verify` finds it and exits 1', async () => {
    for (let i = 100; i < 105; i++) await recordAudit(appDb, entry(i));
    const ids = (await sql(runtimeUrl, `SELECT id FROM audit_log ORDER BY id`)).rows.map((r: { id: string }) => r.id);
    expect((await cli()).code).toBe(0);

    const middle = ids[Math.floor(ids.length / 2)];
    const other = ids[3];
    await sql(
      superUrl(dbName),
      `ALTER TABLE audit_log DISABLE TRIGGER USER;
       DELETE FROM audit_log WHERE id = ${middle};
       UPDATE audit_log SET detail = '{"n": -1}' WHERE id = ${other};
       ALTER TABLE audit_log ENABLE TRIGGER USER;`,
    );
    const run = await cli();
    expect(run.code).toBe(1);
    const out = run.out.join('\n');
    expect(out).toMatch(new RegExp(`row ${other} was altered`));
    expect(out).toMatch(/does not follow row/);
    expect(run.out.at(-1)).toBe('AUDIT CHAIN BROKEN');
  });

  test('when the last row is deleted, then the chain head gives it away', async () => {
    const fresh = await verifyAuditChain(appDb);
    const last = fresh.head!.id;
    await sql(
      superUrl(dbName),
      `ALTER TABLE audit_log DISABLE TRIGGER USER; DELETE FROM audit_log WHERE id = ${last}; ALTER TABLE audit_log ENABLE TRIGGER USER;`,
    );
    const report = await verifyAuditChain(appDb);
    expect(report.problems.map((p) => p.kind)).toContain('head');
  });
});

/** `npm run cli -- audit verify` in-process, as the runtime role. */
async function cli(): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => '',
    promptSecret: () => Promise.reject(new Error('no terminal in tests')),
    interactive: false,
    env: { ...process.env, DATABASE_URL: runtimeUrl },
    osUser: `op-${suffix}`,
    stderr: new PassThrough(),
  };
  const code = await runCli(['audit', 'verify'], io);
  return { code, out, err };
}
