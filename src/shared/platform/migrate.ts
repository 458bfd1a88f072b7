import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/**
 * The nearest `prisma/migrations` above this file: the repository's when run from `src/` (tsx,
 * jest), the image's when run from `dist/` (the Dockerfile copies `prisma/` beside `dist/`).
 */
export function migrationsDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no prisma/migrations above ${from}`);
  }
}

/**
 * Applies prisma/migrations/<name>/migration.sql in order and records them in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does (same table, same checksums,
 * same advisory lock), so either tool can take over from the other. It exists because
 * Prisma's migrate engine is a downloaded binary, which some hosts (and this CI) cannot fetch.
 */
export async function migrate(databaseUrl: string, dir = migrationsDir()) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(72707369)');
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const done = await client.query<{ migration_name: string; finished_at: Date | null; checksum: string }>(
      'SELECT migration_name, finished_at, checksum FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const row = done.rows.find((r) => r.migration_name === name);
      if (row?.finished_at) {
        if (row.checksum !== checksum) console.warn(`migration ${name} was modified after it was applied`);
        continue;
      }
      if (row) throw new Error(`migration ${name} failed earlier; resolve it before migrating again`);
      const id = randomUUID();
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [id, checksum, name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(72707369)').catch(() => undefined);
    await client.end();
  }
  return applied;
}

/** The NOLOGIN role holding the runtime's privileges (granted by the migration `audit_chain_runtime_role`). */
export const RUNTIME_GROUP_ROLE = 'faceid_runtime';

const userOf = (url: string) => decodeURIComponent(new URL(url).username);

/**
 * Makes the runtime's login role (the user of DATABASE_URL) a member of `faceid_runtime`, which
 * holds the privileges the migrations grant: SELECT and INSERT only on audit_log. Run as the
 * owner (MIGRATION_DATABASE_URL) after migrating; needs CREATEROLE or ADMIN on the group role
 * unless compose's init script made the member already. Refuses a runtime role that owns the
 * tables or is a superuser: the audit trail would be append-only only on trust.
 */
export async function grantRuntimeRole(ownerUrl: string, runtimeUrl: string): Promise<string> {
  const runtime = userOf(runtimeUrl);
  if (!runtime) throw new Error('DATABASE_URL names no user');
  if (runtime === userOf(ownerUrl)) {
    throw new Error(
      'DATABASE_URL and MIGRATION_DATABASE_URL name the same user: the runtime role must not own the tables',
    );
  }
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const role = await client.query<{ super: boolean; member: boolean }>(
      `SELECT rolsuper AS super, pg_has_role(rolname, $2, 'MEMBER') AS member FROM pg_roles WHERE rolname = $1`,
      [runtime, RUNTIME_GROUP_ROLE],
    );
    const row = role.rows[0];
    if (!row) throw new Error(`the runtime role ${runtime} does not exist: create it (compose's init script does)`);
    if (row.super)
      throw new Error(`the runtime role ${runtime} is a superuser: it could lift the audit trail's protection`);
    if (!row.member) {
      await client.query(`GRANT ${client.escapeIdentifier(RUNTIME_GROUP_ROLE)} TO ${client.escapeIdentifier(runtime)}`);
      return `granted ${RUNTIME_GROUP_ROLE} to ${runtime}`;
    }
    return `${runtime} is a member of ${RUNTIME_GROUP_ROLE}`;
  } finally {
    await client.end();
  }
}

/**
 * `npm run db:migrate`: migrations run as MIGRATION_DATABASE_URL (the owner) when set, else as
 * DATABASE_URL (development, tests: one role for everything). With both set, the runtime role of
 * DATABASE_URL is then made a member of `faceid_runtime`.
 */
async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const runtimeUrl = env.DATABASE_URL;
  const ownerUrl = env.MIGRATION_DATABASE_URL || runtimeUrl;
  if (!ownerUrl) {
    console.error('DATABASE_URL (and, for separate roles, MIGRATION_DATABASE_URL) is not set');
    process.exit(2);
  }
  const applied = await migrate(ownerUrl);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  if (env.MIGRATION_DATABASE_URL && runtimeUrl) console.log(await grantRuntimeRole(ownerUrl, runtimeUrl));
}

if (require.main === module) {
  main(process.env).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
