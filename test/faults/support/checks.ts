import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { archiveJobId } from '../../../src/shared/orders/archive-queue';
import type { Plan, ValidOrder } from './plan';
import type { ScenarioResult } from './scenario';
import { findLeaks, type Needle } from './secrets-scan';
import { ROOT, type World } from './world';

export interface CheckRow {
  check: string;
  expected: string;
  actual: string;
  ok: boolean;
  /** Up to a few offending items, for the report. */
  details: string[];
}

const TERMINAL = new Set(['ARCHIVED', 'NO_RESULT', 'EVIDENCE_MISSING', 'FAILED', 'EXPIRED']);
const FIELD_OF_KIND: Record<string, string> = { photo: 'photo', video: 'video' };
const MAX_DETAILS = 12;

const row = (check: string, expected: string, actual: string, ok: boolean, details: string[] = []): CheckRow => ({
  check,
  expected,
  actual,
  ok,
  details: details
    .slice(0, MAX_DETAILS)
    .concat(details.length > MAX_DETAILS ? [`… and ${details.length - MAX_DETAILS} more`] : []),
});

type OrderRow = Awaited<ReturnType<typeof loadOrders>>[number];

export async function loadOrders(world: World) {
  return world.db.order.findMany({
    where: { appId: world.appId },
    include: { evidence: true, events: true },
  });
}

/** Orders of the run not yet in a final state (the settle loop polls this). */
export async function unsettled(world: World): Promise<number> {
  return world.db.order.count({ where: { appId: world.appId, status: { notIn: [...TERMINAL] as never } } });
}

/** Partner events of the run not yet delivered to the failing receiver (the webhook settle polls this). */
export async function undelivered(world: World): Promise<number> {
  const [unfanned, pending] = await Promise.all([
    world.db.webhookEvent.count({ where: { fannedOutAt: null, order: { appId: world.appId } } }),
    world.db.webhookDelivery.count({ where: { status: 'pending', event: { order: { appId: world.appId } } } }),
  ]);
  return unfanned + pending;
}

/**
 * The failing webhook endpoint lost nothing: every partner event of the run's orders reached the
 * receiver, verified, exactly once after de-duplication, and each order's events in the order
 * they were recorded.
 */
export async function webhookChecks(world: World): Promise<CheckRow[]> {
  const events = await world.db.webhookEvent.findMany({
    where: { order: { appId: world.appId } },
    select: { id: true, type: true, seq: true, order: { select: { orderNo: true } } },
    orderBy: { seq: 'asc' },
  });
  const msgId = (id: string) => `evt_${id.replace(/-/g, '')}`;
  const got = world.receiver.processed;
  const gotIds = new Set(got.map((m) => m.id));
  const missing = events.filter((e) => !gotIds.has(msgId(e.id)));
  const unverified = world.receiver.raw.filter((m) => !m.verified);
  const expectedOrder = new Map<string, string[]>();
  for (const e of events)
    expectedOrder.set(e.order.orderNo, [...(expectedOrder.get(e.order.orderNo) ?? []), msgId(e.id)]);
  const gotOrder = new Map<string, string[]>();
  for (const m of got) gotOrder.set(m.orderNo, [...(gotOrder.get(m.orderNo) ?? []), m.id]);
  const outOfOrder = [...expectedOrder].filter(([no, ids]) => (gotOrder.get(no) ?? []).join() !== ids.join());
  return [
    row(
      'webhook events delivered to the failing endpoint (none lost)',
      String(events.length),
      String(events.length - missing.length),
      events.length > 0 && missing.length === 0 && got.length === events.length,
      missing.map((e) => `${e.order.orderNo} ${e.type}: not received`),
    ),
    row(
      'webhook events in order per order, signatures valid',
      `${expectedOrder.size} orders, 0 unverified`,
      `${expectedOrder.size - outOfOrder.length} orders, ${unverified.length} unverified`,
      outOfOrder.length === 0 && unverified.length === 0,
      outOfOrder.map(
        ([no, ids]) => `${no}: expected ${ids.length} events in order, got ${(gotOrder.get(no) ?? []).length}`,
      ),
    ),
  ];
}

/** What a scan of this outcome must end as once every fault is over. */
function expectedEnd(o: ValidOrder): { status: string; resultCode: string; kinds: string[] } {
  if (o.outcome === 'risk') return { status: 'NO_RESULT', resultCode: '66660011', kinds: [] };
  if (o.outcome === 'fail') return { status: 'ARCHIVED', resultCode: o.code as string, kinds: [] };
  return { status: 'ARCHIVED', resultCode: '0', kinds: ['photo', 'video'] };
}

/** Every end-of-run check of the issue, computed (not asserted) so the summary can show them all. */
export async function runChecks(
  world: World,
  plan: Plan,
  sc: ScenarioResult,
): Promise<{ rows: CheckRow[]; stats: Record<string, string> }> {
  const rows: CheckRow[] = [];
  const orders = await loadOrders(world);
  const byNo = new Map<string, OrderRow>(orders.map((o) => [o.orderNo, o]));
  const validNos = new Set(plan.orders.map((o) => o.orderNo));
  const firsts = sc.deliveries.filter((d) => d.kind === 'valid');
  const reloads = sc.deliveries.filter((d) => d.kind === 'reload');
  const forged = sc.deliveries.filter((d) => d.kind !== 'valid' && d.kind !== 'reload');

  // 1. Every valid (WeBank-signed) redirect was accepted: a refused one is a verification lost at the door.
  const notAccepted = firsts.filter((d) => d.final !== 302);
  rows.push(
    row(
      'valid callbacks accepted (302)',
      String(plan.orders.length),
      String(firsts.length - notAccepted.length),
      notAccepted.length === 0 && firsts.length === plan.orders.length,
      notAccepted.map((d) => `${d.orderNo}: ${d.attempts.map((a) => a.status || a.error).join(' → ')}`),
    ),
  );
  const reloadBad = reloads.filter((d) => d.final !== 302);
  rows.push(
    row(
      'repeated callbacks (reloads) answered 302',
      String(reloads.length),
      String(reloads.length - reloadBad.length),
      reloadBad.length === 0,
      reloadBad.map((d) => `${d.orderNo}: ${d.attempts.map((a) => a.status || a.error).join(' → ')}`),
    ),
  );

  // 2. Exactly one order per verified callback, and exactly one accepted event for it.
  const accepted = new Set(firsts.filter((d) => d.final === 302).map((d) => d.orderNo));
  const oneOrderBad: string[] = [];
  for (const no of accepted) {
    const o = byNo.get(no);
    const acceptedEvents = o?.events.filter((e) => e.verdict === 'accepted').length ?? 0;
    if (!o) oneOrderBad.push(`${no}: no order`);
    else if (acceptedEvents !== 1) oneOrderBad.push(`${no}: ${acceptedEvents} accepted callback events`);
  }
  rows.push(
    row(
      'verified callbacks with exactly one order',
      String(accepted.size),
      String(accepted.size - oneOrderBad.length),
      oneOrderBad.length === 0,
      oneOrderBad,
    ),
  );

  // 3. None lost, none stuck: every order final, with a reason when not archived.
  const validOrders = orders.filter((o) => validNos.has(o.orderNo));
  const stuck = validOrders.filter((o) => !TERMINAL.has(o.status));
  const noReason = validOrders.filter(
    (o) => TERMINAL.has(o.status) && o.status !== 'ARCHIVED' && !o.lastError && !o.resultCode,
  );
  rows.push(
    row(
      'orders in a final state (none stuck)',
      String(validOrders.length),
      String(validOrders.length - stuck.length),
      stuck.length === 0,
      stuck.map((o) => `${o.orderNo}: ${o.status} attempts=${o.archiveAttempts} lastError=${o.lastError ?? '-'}`),
    ),
  );
  rows.push(
    row(
      'non-archived final orders carry a reason',
      '0 without',
      String(noReason.length),
      noReason.length === 0,
      noReason.map((o) => `${o.orderNo}: ${o.status}`),
    ),
  );

  // 4. Every fault was transient, so each order must end as its scan warrants (a pass archived with both files).
  const wrongEnd: string[] = [];
  for (const p of plan.orders) {
    const o = byNo.get(p.orderNo);
    if (!o || !TERMINAL.has(o.status)) continue;
    const want = expectedEnd(p);
    const kinds = o.evidence.map((e) => e.kind).sort();
    const missingKinds = want.kinds.filter((k) => !kinds.includes(k));
    if (o.status !== want.status || o.resultCode !== want.resultCode || missingKinds.length) {
      wrongEnd.push(
        `${p.orderNo} (${p.outcome}): ${o.status} code=${o.resultCode ?? '-'} files=[${kinds.join(',')}] lastError=${o.lastError ?? '-'}`,
      );
    }
  }
  rows.push(
    row(
      'final state matches the scan (pass → ARCHIVED + photo + video)',
      String(accepted.size),
      String(accepted.size - wrongEnd.length),
      wrongEnd.length === 0,
      wrongEnd,
    ),
  );

  // 5-7. Objects: bytes hash to the recorded SHA-256 and equal what WeBank served; no orphans, no missing, no duplicates.
  const objects = await listObjects(world, `evidence/${world.appId}/`);
  const objectKeys = new Set(objects.map((o) => o.key));
  const evidence = orders.flatMap((o) => o.evidence.map((e) => ({ ...e, orderNo: o.orderNo })));
  const rowKeys = new Set(evidence.map((e) => e.key));
  const integrityBad: string[] = [];
  let verified = 0;
  await mapLimit(evidence, 8, async (e) => {
    if (!objectKeys.has(e.key)) return;
    const bytes = await getBytes(world, e.key);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const head = await world.s3.client.send(new HeadObjectCommand({ Bucket: world.s3.bucket, Key: e.key }));
    const served = world.sim.servedMediaDigest(world.appId, e.orderNo)[FIELD_OF_KIND[e.kind] ?? e.kind];
    const problems: string[] = [];
    if (sha !== e.sha256) problems.push(`sha256 ${sha.slice(0, 12)} ≠ recorded ${e.sha256.slice(0, 12)}`);
    if (bytes.length !== Number(e.bytes)) problems.push(`${bytes.length} B ≠ recorded ${e.bytes} B`);
    if (head.Metadata?.sha256 !== e.sha256)
      problems.push(`object metadata sha256 ${head.Metadata?.sha256 ?? 'missing'}`);
    if (!served) problems.push('simulator served no such file');
    else if (served.sha256 !== sha || served.size !== bytes.length)
      problems.push(`differs from what WeBank served (${served.size} B)`);
    if (problems.length) integrityBad.push(`${e.key}: ${problems.join('; ')}`);
    else verified++;
  });
  rows.push(
    row(
      'stored objects = recorded SHA-256 = served media',
      `${evidence.length} rows`,
      `${verified} verified`,
      integrityBad.length === 0 && verified === evidence.filter((e) => objectKeys.has(e.key)).length,
      integrityBad,
    ),
  );
  const orphans = objects.filter((o) => !rowKeys.has(o.key));
  rows.push(
    row(
      'orphan objects (object without a row)',
      '0',
      String(orphans.length),
      orphans.length === 0,
      orphans.map((o) => `${o.key} (${o.size} B)`),
    ),
  );
  const missing = evidence.filter((e) => !objectKeys.has(e.key));
  rows.push(
    row(
      'missing objects (row without an object)',
      '0',
      String(missing.length),
      missing.length === 0,
      missing.map((e) => e.key),
    ),
  );
  const perSlot = new Map<string, string[]>();
  for (const o of objects) {
    const slot = o.key.replace(/\.[a-z0-9]+$/, '');
    perSlot.set(slot, [...(perSlot.get(slot) ?? []), o.key]);
  }
  const dups = [...perSlot.values()].filter((keys) => keys.length > 1);
  rows.push(
    row(
      'duplicate objects (one order and kind, several objects)',
      '0',
      String(dups.length),
      dups.length === 0,
      dups.map((k) => k.join(' + ')),
    ),
  );

  // 8-9. Forgeries: refused (403), recorded as rejected, and nothing queued for them.
  const events = await world.db.callbackEvent.findMany({
    where: { appId: world.appId },
    select: { verdict: true, userAgent: true, orderNo: true, orderId: true, reason: true },
  });
  const eventByUa = new Map(events.filter((e) => e.userAgent).map((e) => [e.userAgent as string, e]));
  const forgedBad: string[] = [];
  for (const d of forged) {
    const lastUa = d.userAgents[d.userAgents.length - 1] as string;
    const ev = eventByUa.get(lastUa);
    if (d.final !== 403) {
      // Each attempt with when it was sent and why the web answered so: a forgery left undecided
      // must say whether Redis, WeBank or the re-read slot kept it from a verdict.
      const tried = d.attempts.map((a, i) => {
        const why = eventByUa.get(d.userAgents[i] as string)?.reason;
        return `t=${(a.tMs / 1000).toFixed(1)}s ${a.status || a.error}${why ? ` (${why})` : ''}`;
      });
      forgedBad.push(`${d.id} ${d.kind} ${d.orderNo}: HTTP ${tried.join(' → ')}`);
    } else if (ev?.verdict !== 'rejected')
      forgedBad.push(`${d.id} ${d.kind} ${d.orderNo}: recorded as ${ev?.verdict ?? 'nothing'}`);
  }
  rows.push(
    row(
      'forged callbacks refused (403) and recorded as rejected',
      String(plan.forgeries.length),
      String(forged.length - forgedBad.length),
      forgedBad.length === 0 && forged.length === plan.forgeries.length,
      forgedBad,
    ),
  );

  const jobs = await world.queue.getJobs(
    ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'],
    0,
    -1,
  );
  const jobsByOrder = new Map<string, string[]>();
  for (const j of jobs)
    if (j) jobsByOrder.set(j.data.orderNo, [...(jobsByOrder.get(j.data.orderNo) ?? []), j.id ?? '?']);
  const queuedBad: string[] = [];
  for (const f of plan.forgeries) {
    const forgedNos =
      f.kind === 'replay-other-code' ? [] : [f.orderNo, ...(f.scannedOrderNo ? [f.scannedOrderNo] : [])];
    for (const no of forgedNos) {
      if (byNo.has(no)) queuedBad.push(`${no} (${f.kind}): an order exists`);
      if (jobsByOrder.has(no)) queuedBad.push(`${no} (${f.kind}): job ${jobsByOrder.get(no)!.join(',')}`);
    }
    if (f.kind === 'replay-other-code') {
      const target = plan.orders[f.target!]!;
      const o = byNo.get(target.orderNo);
      const want = target.outcome === 'pass' ? '0' : (target.code ?? '66660011');
      if (o && o.callbackCode !== want)
        queuedBad.push(`${target.orderNo} (replay): callback code became ${o.callbackCode}`);
    }
  }
  const strangers = [...jobsByOrder.keys()].filter((no) => !validNos.has(no));
  for (const no of strangers) queuedBad.push(`job for ${no}, which no valid callback named`);
  rows.push(
    row(
      'forged callbacks queued nothing (no order, no job)',
      '0',
      String(queuedBad.length),
      queuedBad.length === 0,
      queuedBad,
    ),
  );
  const jobsBad: string[] = [];
  for (const no of accepted) {
    const ids = jobsByOrder.get(no) ?? [];
    const want = archiveJobId('faceid', world.appId, no);
    if (ids.length !== 1 || ids[0] !== want) jobsBad.push(`${no}: jobs [${ids.join(', ')}]`);
  }
  rows.push(
    row(
      'one archive job per verified order',
      String(accepted.size),
      String(accepted.size - jobsBad.length),
      jobsBad.length === 0,
      jobsBad,
    ),
  );

  // 10. The service processes died only when the suite killed them (a crash is restarted, like a process manager would, and reported here).
  const crashes = [world.web, ...world.workers].flatMap((svc) =>
    svc.crashes().map((c) => `${svc.name} #${c.incarnation} exited (${c.exit}): ${pickCause(c.tail)}`),
  );
  rows.push(row('service processes crashed', '0', String(crashes.length), crashes.length === 0, crashes));

  // 11. No PII or secret in any line the service processes wrote.
  const leaks = findLeaks(world.logs, needles(world, plan, sc));
  const leakLabels = new Map<string, number>();
  for (const l of leaks)
    leakLabels.set(`${l.process}: ${l.label}`, (leakLabels.get(`${l.process}: ${l.label}`) ?? 0) + 1);
  rows.push(
    row(`no PII or secret in ${world.logs.length} log lines`, '0 hits', `${leaks.length} hits`, leaks.length === 0, [
      ...[...leakLabels].map(([k, n]) => `${n}× ${k}`),
      ...leaks.slice(0, 3).map((l) => `e.g. ${l.process}: ${l.line}`),
    ]),
  );

  const statuses = new Map<string, number>();
  for (const o of validOrders) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
  const retried = firsts.filter((d) => d.attempts.length > 1).length;
  const nonJson = world.logs.filter((l) => !l.text.startsWith('{'));
  const stats: Record<string, string> = {
    'orders by status': [...statuses].map(([s, n]) => `${s} ${n}`).join(', '),
    'archive attempts (max / total)': `${Math.max(0, ...validOrders.map((o) => o.archiveAttempts))} / ${validOrders.reduce((s, o) => s + o.archiveAttempts, 0)}`,
    'valid callbacks that needed a browser retry': String(retried),
    'objects in the bucket': `${objects.length} (${Math.round(objects.reduce((s, o) => s + o.size, 0) / 1024)} KiB)`,
    'callback events': `${events.length} (${countBy(events.map((e) => e.verdict))})`,
    'jobs in Redis': `${jobs.length} (${countBy(await Promise.all(jobs.filter(Boolean).map((j) => j.getState())))})`,
    'log lines (non-JSON)': `${world.logs.length} (${nonJson.length}: ${[...new Set(nonJson.map((l) => l.text.slice(0, 60)))].slice(0, 3).join(' | ')})`,
  };
  return { rows, stats };
}

/** The most telling line of a crash: the error message of an uncaught exception, else the last line. */
function pickCause(tail: string[]): string {
  const i = tail.findIndex((l) => /Unhandled|uncaught|^\S*Error|^error:/i.test(l.replace(/^\s+/, '')));
  const pick = i >= 0 ? tail.slice(i, i + 4).join(' ⏎ ') : (tail[tail.length - 1] ?? '');
  return pick.slice(0, 300);
}

function countBy(items: string[]): string {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
}

/** Everything a log line must not contain: the run's secrets, every ticket and token WeBank issued, every signature, every ID number and name. */
function needles(world: World, plan: Plan, sc: ScenarioResult): Needle[] {
  const out: Needle[] = [
    { label: 'WEBANK_SECRET', value: world.secrets.webankSecret },
    { label: 'DATA_ENCRYPTION_KEY', value: world.secrets.dataKey },
    { label: 'S3_SECRET_ACCESS_KEY', value: world.secrets.s3Secret },
    // The partner webhook secret (its key part: the `whsec_` prefix is not secret).
    ...world.receiver.secrets.map((s) => ({ label: 'webhook secret', value: s.slice('whsec_'.length) })),
  ];
  for (const t of sc.tickets) out.push({ label: 'SIGN ticket', value: t });
  for (const r of world.sim.requests({ path: '/api/oauth2/api_ticket' }))
    if (r.query.access_token) out.push({ label: 'access_token', value: r.query.access_token });
  for (const r of world.sim.requests({ path: '/api/server/sync' }))
    if (r.query.sign) out.push({ label: 'query sign', value: r.query.sign });
  for (const d of sc.deliveries)
    if (d.signature) out.push({ label: `callback signature (${d.kind})`, value: d.signature });
  for (const o of plan.orders) {
    out.push({ label: 'ID number', value: o.idNo });
    out.push({ label: 'name', value: o.name });
  }
  // Biometric data: a stretch of each fixture's base64 as WeBank sends it (past the generic file header).
  for (const file of ['face.jpg', 'face.png', 'face.mp4']) {
    const bytes = readFileSync(path.join(ROOT, 'src/simulator/media', file));
    const from = Math.floor(bytes.length / 2 / 3) * 3;
    out.push({ label: `${file} (base64)`, value: bytes.subarray(from, from + 48).toString('base64') });
  }
  return out;
}

async function listObjects(world: World, prefix: string): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await world.s3.client.send(
      new ListObjectsV2Command({ Bucket: world.s3.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) out.push({ key: o.Key as string, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function getBytes(world: World, key: string): Promise<Buffer> {
  const res = await world.s3.client.send(new GetObjectCommand({ Bucket: world.s3.bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}
