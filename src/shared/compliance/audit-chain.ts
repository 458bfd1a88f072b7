import type { Db } from '../platform/db';

/**
 * Checks the audit trail's hash chain (installed by the migration `audit_chain_runtime_role`):
 * every row's hash is SHA-256 of the previous row's hash, a newline and the row's canonical JSON
 * (jsonb text without the two hash columns, timestamps in UTC), and every row names the previous
 * row's hash. The expression is computed here, not by the database's own function, so replacing
 * that function does not change the verdict. The chain head (`audit_log_chain`) catches a
 * deleted last row. Someone able to rewrite the whole table and the head can recompute the chain:
 * record the head this prints somewhere else (a ticket, a log shipper) to catch that too.
 */
export interface ChainProblem {
  id: string;
  kind: 'altered' | 'gap' | 'head';
  message: string;
}

export interface ChainReport {
  ok: boolean;
  rows: number;
  head: { id: string; hash: string } | null;
  problems: ChainProblem[];
}

interface ChainRow {
  id: bigint;
  prev_hash: string | null;
  hash: string | null;
  expected: string;
}

export async function verifyAuditChain(
  db: Db,
  opts: { batch?: number; maxProblems?: number } = {},
): Promise<ChainReport> {
  const batch = opts.batch ?? 5000;
  const maxProblems = opts.maxProblems ?? 100;
  const problems: ChainProblem[] = [];
  let rows = 0;
  let after = -1n;
  let last: { id: bigint; hash: string | null } | undefined;
  for (;;) {
    const page = await db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL "TimeZone" = 'UTC'`);
      return tx.$queryRaw<ChainRow[]>`
        SELECT id, prev_hash, hash,
               encode(sha256(convert_to(coalesce(prev_hash, '') || E'\n' || (to_jsonb(a) - 'hash' - 'prev_hash')::text, 'UTF8')), 'hex') AS expected
          FROM audit_log a WHERE id > ${after} ORDER BY id LIMIT ${batch}`;
    });
    for (const r of page) {
      rows++;
      const id = r.id.toString();
      const expectedPrev = last?.hash ?? null;
      if (r.prev_hash !== expectedPrev) {
        problems.push({
          id,
          kind: 'gap',
          message: last
            ? `row ${id} does not follow row ${last.id.toString()}: a row between them was deleted, or one of them altered`
            : `row ${id} is the first row but names a previous row: earlier rows were deleted`,
        });
      }
      if (r.hash !== r.expected)
        problems.push({ id, kind: 'altered', message: `row ${id} was altered after it was written` });
      last = { id: r.id, hash: r.hash };
      if (problems.length >= maxProblems) break;
    }
    if (page.length < batch || problems.length >= maxProblems) break;
    after = page[page.length - 1]!.id;
  }
  const head = await db.auditLogChain.findUnique({ where: { one: true } });
  if (problems.length < maxProblems && head) {
    const headId = head.lastId?.toString() ?? null;
    if (headId !== (last?.id.toString() ?? null) || head.lastHash !== (last?.hash ?? null)) {
      problems.push({
        id: headId ?? '-',
        kind: 'head',
        message: `the chain head names row ${headId ?? 'none'} but the last row is ${last?.id.toString() ?? 'none'}: rows at the end were deleted or altered`,
      });
    }
  }
  return {
    ok: problems.length === 0,
    rows,
    head: last?.hash ? { id: last.id.toString(), hash: last.hash } : null,
    problems,
  };
}
