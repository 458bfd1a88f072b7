/**
 * `npm run demo`: the whole flow on one machine, against the bundled WeBank simulator.
 * A partner backend starts a verification with `POST /api/verifications` (its API token is all it
 * holds), the user's browser opens the returned WeBank URL and "scans" on the simulator's H5 page,
 * is redirected to our callback, the worker archives the result, and the evidence lands in S3
 * (fauxqs, or S3_ENDPOINT if set). The partner's webhook receiver (a small local server) gets the
 * signed `verification.passed` and `evidence.archived` events and checks them with the
 * `standardwebhooks` library's verifier and the endpoint's secret; then the backend reads the
 * result with `GET /api/orders/:orderNo`.
 *
 * Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default: the local ones; the demo uses
 * its own database `faceid_demo`, created if missing). Pass `--keep` to leave everything running
 * and try the H5 page, the console and the queue dashboard (/admin/queues) in a browser until
 * Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Client } from 'pg';
import { startSimulator } from '../simulator';
import { loadConfig, type Config } from '../shared/platform/config';
import { createDb } from '../shared/platform/db';
import { EvidenceStore } from '../shared/evidence/evidence-store';
import { createMetrics } from '../shared/platform/metrics';
import { migrate } from '../shared/platform/migrate';
import { createArchiveQueue } from '../shared/orders/archive-queue';
import { FINISHED } from '../shared/orders/lifecycle';
import { createRedis } from '../shared/platform/redis';
import { TicketStore } from '../shared/webank/tickets/ticket-store';
import { dataKey } from '../shared/platform/sealed';
import { createApiToken } from '../shared/compliance/staff/api-tokens';
import { queueDashboardRouter } from '../web/queue-dashboard';
import { createApp } from '../web/app';
import { startWorkerRuntime } from '../workers/main';
import { startFauxqs } from '../dev/fauxqs';
import { Webhook } from 'standardwebhooks';
import { addEndpoint } from '../shared/partners/webhook-endpoints';

const say = (msg: string) => process.stdout.write(`${msg}\n`);

async function ensureDatabase(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const admin = new Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'faceid_demo'");
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE faceid_demo');
  await admin.end();
  return 'postgresql://postgres@127.0.0.1:5432/faceid_demo';
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const databaseUrl = await ensureDatabase();
  say(`1. database  ${databaseUrl.replace(/\/\/[^@]*@/, '//')} — migrating`);
  await migrate(databaseUrl);

  // A fresh simulator each run, so a fresh app: tickets a previous run stored for another
  // simulator must not be taken for this one's.
  const appId = `TIDADEMO${randomBytes(3).toString('hex').toUpperCase()}`;
  const secret = randomBytes(12).toString('hex');
  const sim = await startSimulator({ apps: [{ appId, secret }] });
  say(`2. WeBank simulator at ${sim.url} (app ${appId})`);

  const s3 = process.env.S3_ENDPOINT ? undefined : await startFauxqs({ bucket: 'faceid-demo' });
  say(`3. S3 at ${s3?.endpoint ?? process.env.S3_ENDPOINT}${s3 ? ' (fauxqs, in memory)' : ''}`);

  const base: Config = loadConfig({
    REDIS_URL: 'redis://127.0.0.1:6379',
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    QUEUE_PREFIX: `{demo${randomBytes(3).toString('hex')}}`,
    ARCHIVE_POLL_INTERVAL_MS: '500',
    ...process.env,
    // The emulator started above wins over any S3_* left in the environment.
    ...(s3?.s3Env ?? {}),
    DATABASE_URL: databaseUrl,
    WEBANK_APP_ID: appId,
    WEBANK_SECRET: secret,
    WEBANK_BASE_URL: sim.url,
    // `WEBANK_QUERY_API=queryfacerecord npm run demo` archives through the upgraded query, here too.
    WEBANK_QUERY_BASE_URL: sim.url,
  });

  // Listening first: the service's public URL is the callback WeBank sends the browser back to.
  const server: Server = await new Promise((resolve) => {
    const srv = createServer().listen(keep ? base.PORT : 0, '127.0.0.1', () => resolve(srv));
  });
  const webUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const cfg: Config = Object.freeze({ ...base, PUBLIC_BASE_URL: webUrl });

  const db = createDb(cfg.DATABASE_URL, 4);
  const redis = createRedis(cfg.redis, 'producer', 'demo-web');
  const archiveQueue = createArchiveQueue(redis, cfg.QUEUE_PREFIX, { backoffMs: cfg.ARCHIVE_BACKOFF_MS });
  const tickets = new TicketStore(db, dataKey(cfg.DATA_ENCRYPTION_KEY));
  const evidence = EvidenceStore.fromConfig(cfg);
  // The queue dashboard as in production (src/web/server.ts), so /admin/queues can be tried too.
  const extraRouters = [queueDashboardRouter({ db, cfg, queues: [archiveQueue] })];
  server.on(
    'request',
    createApp({ cfg, db, archiveQueue, tickets, metrics: createMetrics(), evidence, redis, extraRouters }),
  );
  say(`4. web service at ${webUrl} (callback ${cfg.CALLBACK_PATH})`);

  const workers = await startWorkerRuntime(cfg, { db, port: false });
  say(
    `5. worker started; ticket keeper fetched access_token and SIGN ticket from the simulator; results pulled with ${cfg.apps[0]!.queryApi === 'queryfacerecord' ? 'POST /api/v2/base/queryfacerecord' : 'GET /api/server/sync'}`,
  );

  // The partner's backend: one API token, no WeBank secret, no ticket; and a webhook receiver
  // that trusts nothing but the signature it checks with its webhook secret.
  const { token } = await createApiToken(db, cfg, { kind: 'partner', name: `demo-${randomBytes(3).toString('hex')}` });
  const received: { id: string; type: string; verified: string; body: string }[] = [];
  const partner: { verifier?: Webhook } = {};
  const receiver: Server = await new Promise((resolve) => {
    const srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        try {
          if (!partner.verifier) throw new Error('no secret yet');
          partner.verifier.verify(body, headers);
        } catch {
          res.writeHead(401).end();
          return;
        }
        const verified = 'signature verified with the webhook secret (standardwebhooks)';
        received.push({
          id: headers['webhook-id'] ?? '',
          type: (JSON.parse(body) as { type: string }).type,
          verified,
          body,
        });
        res.writeHead(204).end();
      });
    }).listen(0, '127.0.0.1', () => resolve(srv));
  });
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhooks`;
  const { secret: webhookSecret } = await addEndpoint(
    db,
    cfg,
    { url: receiverUrl, appKey: 'default', allowPrivate: true, description: 'demo receiver' },
    { actor: 'system:demo' },
  );
  partner.verifier = new Webhook(webhookSecret);
  say(`   the partner's webhook receiver listens at ${receiverUrl} (it holds the endpoint's whsec_ secret)`);
  const orderNo = `demo${Date.now()}`;
  const res = await fetch(`${webUrl}/api/verifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ orderNo, userId: 'demouser1' }),
  });
  if (res.status !== 201) throw new Error(`POST /api/verifications answered HTTP ${res.status}: ${await res.text()}`);
  const started = (await res.json()) as { url: string; expiresAt: string };
  say(
    `6. the partner's backend started order ${orderNo} with POST /api/verifications (an API token, no WeBank secret)`,
  );
  say(`   the user's browser opens ${started.url}`);

  const close = async () => {
    await workers.close();
    await new Promise((r) => receiver.close(r));
    await new Promise((r) => server.close(r));
    await archiveQueue.close();
    redis.disconnect();
    await db.$disconnect();
    evidence.client.destroy();
    await s3?.stop();
    await sim.close();
  };

  if (keep) {
    say(
      `   --keep: open that URL in a browser before ${started.expiresAt} (it works once) and press Pass; Ctrl-C to stop.`,
    );
    say(`   console: ${webUrl}/console/  queue dashboard: ${webUrl}/admin/queues`);
    say('   a console admin: `npm run cli -- user add <name> --role admin` with the same DATABASE_URL (README)');
    // Stay up until asked to stop: main() must not return, or the process exits behind the user's back.
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    say('stopping…');
    await close();
    return;
  }

  // The browser's part: open the start URL (WeBank logs it into the scan page), press "Pass",
  // follow the redirect to our callback.
  const login = await fetch(started.url, { redirect: 'manual' });
  const scanPage = login.headers.get('location');
  if (login.status !== 302 || !scanPage) throw new Error(`the start URL was refused (HTTP ${login.status})`);
  const form = new URL(scanPage, sim.url).searchParams;
  const finish = await fetch(`${sim.url}/h5/finish`, {
    method: 'POST',
    body: new URLSearchParams({ ...Object.fromEntries(form), outcome: 'pass' }),
    redirect: 'manual',
  });
  const back = finish.headers.get('location');
  if (finish.status !== 302 || !back) throw new Error(`the simulator did not redirect (HTTP ${finish.status})`);
  const answer = await fetch(back, { redirect: 'manual' });
  say(
    `7. WeBank redirected the browser to our callback: HTTP ${answer.status} ${(await answer.text()).match(/<p id="message">(.*?)<\/p>/)?.[1] ?? answer.headers.get('location') ?? ''}`,
  );

  const deadline = Date.now() + 60_000;
  let last = '';
  for (;;) {
    const order = await db.order.findUnique({
      where: { appId_orderNo: { appId, orderNo } },
      include: { evidence: true },
    });
    if (order && order.status !== last) {
      last = order.status;
      say(`   order ${orderNo}: ${order.status}`);
    }
    if (order && FINISHED.includes(order.status)) {
      say(
        `8. result: code ${order.resultCode}, liveRate ${order.liveRate}, similarity ${order.similarity}, bizSeqNo ${order.bizSeqNo}`,
      );
      say('9. evidence:');
      const store = EvidenceStore.fromConfig(cfg);
      for (const e of order.evidence) {
        const check = await store.verify(e.key, e.sha256);
        say(
          `   ${e.kind.padEnd(6)} s3://${cfg.S3_BUCKET}/${e.key}  ${e.bytes} bytes  ${e.contentType}  sha256 ${e.sha256}  re-read: ${check.ok ? 'intact' : 'MISMATCH'}`,
        );
      }
      store.client.destroy();
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`order did not finish archiving within 60 s (status ${order?.status ?? 'none'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // The partner learns the outcome from the signed webhook, not from the browser's redirect.
  const until = Date.now() + 30_000;
  while (!received.some((m) => m.type === 'evidence.archived')) {
    if (Date.now() > until) throw new Error(`webhooks not received within 30 s (got ${received.length})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  say('10. webhooks received by the partner:');
  for (const m of received) say(`   ${m.type} ${m.id}: ${m.verified}`);
  const event = JSON.parse(received.find((m) => m.type.startsWith('verification.'))!.body) as {
    data: { outcome: string; result: { code: string }; similarity: string };
  };
  say(
    `   verified event: outcome ${event.data.outcome}, code ${event.data.result.code}, similarity ${event.data.similarity}`,
  );
  const read = await fetch(`${webUrl}/api/orders/${orderNo}`, { headers: { authorization: `Bearer ${token}` } });
  const result = (await read.json()) as { status: string; outcome: string; evidence: unknown[] };
  say(
    `11. GET /api/orders/${orderNo}: HTTP ${read.status}, ${result.status}, outcome ${result.outcome}, ${result.evidence.length} evidence files`,
  );
  await close();
  say('Done. Run with --keep to open the start URL in a browser yourself.');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`demo failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
