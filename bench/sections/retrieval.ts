import http from 'node:http';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/shared/platform/config';
import { EvidenceStore } from '../../src/shared/evidence/evidence-store';
import { createStaffUser } from '../../src/shared/compliance/staff/accounts';
import { videoSource } from '../../src/simulator/media';
import { createApiToken } from '../../src/shared/compliance/staff/api-tokens';
import { startTarget } from '../lib/child';
import { uid } from '../lib/env';
import { pct, type SectionResult } from '../lib/report';
import { median, round } from '../lib/stats';
import type { Services } from '../lib/services';

export interface RetrievalOptions {
  videoBytes: number;
  repetitions: number;
}

interface Read {
  status: number;
  ttfbMs: number;
  seconds: number;
  bytes: number;
}

/** GET through the service: time to the first body byte, and to the last. */
function httpRead(agent: http.Agent, url: string, headers: Record<string, string>): Promise<Read> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfb = 0;
    let bytes = 0;
    http
      .get(url, { agent, headers }, (res) => {
        res.on('data', (c: Buffer) => {
          if (!ttfb) ttfb = performance.now() - t0;
          bytes += c.length;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ttfbMs: ttfb, seconds: (performance.now() - t0) / 1000, bytes }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** GetObject straight from S3 (fauxqs), measured the same way. */
async function s3Read(store: EvidenceStore, key: string, range?: string): Promise<Read> {
  const t0 = performance.now();
  const out = await store.client.send(new GetObjectCommand({ Bucket: store.bucket, Key: key, Range: range }));
  let ttfb = 0;
  let bytes = 0;
  for await (const c of out.Body as Readable) {
    if (!ttfb) ttfb = performance.now() - t0;
    bytes += (c as Buffer).length;
  }
  return { status: out.$metadata.httpStatusCode ?? 0, ttfbMs: ttfb, seconds: (performance.now() - t0) / 1000, bytes };
}

/**
 * Evidence retrieval: a staff member streams a big video through the console's evidence route
 * (staff API token, audit row, S3 read piped to the response) versus GetObject directly.
 */
export async function retrievalSection(svc: Services, o: RetrievalOptions): Promise<SectionResult> {
  await svc.fauxqs();
  const env = await svc.archiveEnv({ QUEUE_PREFIX: svc.newQueuePrefix() });
  const cfg = loadConfig(env);
  const store = EvidenceStore.fromConfig(cfg);
  const appId = svc.simApp.appId;

  // An archived order with its video in S3 and its evidence row, as the archiver leaves it.
  const orderNo = uid('rv');
  const order = await svc.db.order.create({
    data: {
      appId,
      orderNo,
      product: 'faceid',
      status: 'ARCHIVED',
      source: 'CALLBACK',
      callbackCode: '0',
      resultCode: '0',
      verifiedAt: new Date(),
      archivedAt: new Date(),
    },
  });
  const source = videoSource(o.videoBytes);
  const saved = await store.put({
    key: { appId, orderNo, date: order.createdAt, kind: 'video' },
    body: Readable.from(source.chunks()),
  });
  await svc.db.evidence.create({
    data: {
      orderId: order.id,
      kind: 'video',
      key: saved.key,
      bytes: BigInt(saved.bytes),
      sha256: saved.sha256,
      contentType: saved.contentType,
    },
  });
  const username = `bench-${uid('', 4)}`;
  svc.staffUsers.add(username);
  const user = await createStaffUser(svc.db, { username, role: 'viewer', password: uid('', 16) });
  const { token } = await createApiToken(svc.db, cfg, { kind: 'staff', name: 'bench retrieval', staffUserId: user.id });

  const web = await startTarget('web (console)', 'web-target.ts', { env });
  const agent = new http.Agent({ keepAlive: true });
  const auth = { authorization: `Bearer ${token}` };
  let via = 'console';
  let url = `${String(web.info.url)}/console/api/orders/${order.id}/evidence/video`;
  const console_: Read[] = [];
  const direct: Read[] = [];
  let seekConsole: Read;
  let seekDirect: Read;
  try {
    // Warm-up (first token lookup, first S3 connection), and the fallback if the console is absent.
    const probe = await httpRead(agent, url, { ...auth, range: 'bytes=0-1023' });
    if (probe.status !== 206 && probe.status !== 200) {
      via = `fallback route (console answered ${probe.status})`;
      url = `${String(web.info.url)}/bench/evidence?key=${encodeURIComponent(saved.key)}`;
    }
    await s3Read(store, saved.key, 'bytes=0-1023');
    for (let i = 0; i < o.repetitions; i++) {
      console_.push(await httpRead(agent, url, auth));
      direct.push(await s3Read(store, saved.key));
    }
    const last = `bytes=-${1024 * 1024}`;
    seekConsole = await httpRead(agent, url, { ...auth, range: last });
    seekDirect = await s3Read(store, saved.key, last);
  } finally {
    agent.destroy();
    await web.stop();
    store.client.destroy();
  }
  for (const r of [...console_, ...direct]) {
    if (r.status !== 200 || r.bytes !== saved.bytes)
      throw new Error(`a read returned ${r.status} with ${r.bytes} of ${saved.bytes} bytes`);
  }
  const mbps = (rs: Read[]) => round(median(rs.map((r) => r.bytes / r.seconds / 1e6)), 0);
  const ttfb = (rs: Read[]) => round(median(rs.map((r) => r.ttfbMs)), 1);
  const label = `${round(o.videoBytes / 1e6, 0)} MB`;
  return {
    title: `4. Evidence retrieval: a ${label} video to staff via ${via} (staff API token), median of ${o.repetitions}, vs GetObject from S3 (fauxqs)`,
    rows: [
      {
        metric: `stream ${label} video, time to first byte`,
        value: `${ttfb(console_)} ms`,
        baseline: `${ttfb(direct)} ms (GetObject)`,
      },
      {
        metric: `stream ${label} video, throughput`,
        value: `${mbps(console_)} MB/s`,
        baseline: `${mbps(direct)} MB/s (GetObject)`,
        ratio: pct(mbps(console_) / mbps(direct)),
      },
      {
        metric: 'seek: last 1 MiB (Range), time to first byte',
        value: `${round(seekConsole.ttfbMs, 1)} ms (HTTP ${seekConsole.status})`,
        baseline: `${round(seekDirect.ttfbMs, 1)} ms (GetObject)`,
      },
    ],
    targets: [],
    notes: [
      `served by ${via}; every full read returned ${saved.bytes} bytes (HTTP 200); fauxqs is in memory, so the direct read is the emulator's speed, not a network's`,
    ],
    data: { via, bytes: saved.bytes, console: console_, direct, seekConsole, seekDirect },
  };
}
