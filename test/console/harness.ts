import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../../src/shared/platform/redis';
import { loadConfig, type Config } from '../../src/shared/platform/config';
import { createDb, type Db } from '../../src/shared/platform/db';
import { EvidenceStore } from '../../src/shared/evidence/evidence-store';
import { createMetrics } from '../../src/shared/platform/metrics';
import { createArchiveQueue, type ArchiveJobData } from '../../src/shared/orders/archive-queue';
import { createRedis } from '../../src/shared/platform/redis';
import { dataKey, seal } from '../../src/shared/platform/sealed';
import { createStaffUser } from '../../src/shared/compliance/staff/accounts';
import type { Role } from '../../src/shared/compliance/staff/roles';
import { createApp } from '../../src/web/app';
import type { OrderStatus } from '../../src/generated/prisma/client';
import { startFauxqs, type FauxqsS3 } from '../support/fauxqs';

export const MEDIA = path.join(__dirname, '../../src/simulator/media');
export const PHOTO = readFileSync(path.join(MEDIA, 'face.jpg'));
export const VIDEO = readFileSync(path.join(MEDIA, 'face.mp4'));

export const uid = (prefix = '') => prefix + randomBytes(6).toString('hex');

/** A fresh client IP per test (sent as X-Forwarded-For, trusted from loopback), so login limits never collide. */
export const fakeIp = () => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

export interface ConsoleHarness {
  url: string;
  /** url + '/console' */
  base: string;
  cfg: Config;
  db: Db;
  evidence: EvidenceStore;
  s3: FauxqsS3;
  queue: Queue<ArchiveJobData>;
  redis: RedisClient;
  publicKeyPem: string;
  /** The environment the configuration was loaded from (for running the CLI against the same services). */
  env: Record<string, string | undefined>;
  close(): Promise<void>;
}

export function signingKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateB64: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).toString('base64'),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The web app (lead's createApp) with the console at /console, on a free port, with fauxqs S3 and real PostgreSQL/Redis. */
export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleHarness> {
  const s3 = await startFauxqs();
  const keys = signingKeys();
  const merged: Record<string, string | undefined> = {
    ...process.env,
    ...s3.s3Env,
    WEBANK_APP_ID: uid('TIDA'),
    WEBANK_APPS: JSON.stringify([{ key: 'shop', appId: uid('TIDB'), secret: 'test-secret' }]),
    QUEUE_PREFIX: `{${uid('c')}}`,
    CONSOLE_COOKIE_SECURE: 'false',
    CONSOLE_LOGIN_MAX_FAILURES_PER_IP: '1000',
    EXPORT_SIGNING_KEY: keys.privateB64,
    ...env,
  };
  const cfg = loadConfig(merged);
  const db = createDb(cfg.DATABASE_URL, 4);
  const evidence = EvidenceStore.fromConfig(cfg);
  const redis = createRedis(cfg.redis, 'producer', 'test-console');
  const queue = createArchiveQueue(redis, cfg.QUEUE_PREFIX);
  // The lead's app mounts the console at /console (createConsoleRouter) with these deps.
  const app = createApp({
    cfg,
    db,
    archiveQueue: queue,
    tickets: { validAround: async () => [] },
    metrics: createMetrics(),
    evidence,
    redis,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    base: `${url}/console`,
    cfg,
    db,
    evidence,
    s3,
    queue,
    redis,
    publicKeyPem: keys.publicPem,
    env: merged,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close().catch(() => undefined);
      redis.disconnect();
      evidence.close();
      await s3.stop();
      await db.$disconnect();
    },
  };
}

export interface SeededOrder {
  id: string;
  appId: string;
  orderNo: string;
  photoKey: string;
  videoKey: string;
}

/** An archived order with a photo and a video in S3 and their rows, callback events (one forged) and a timeline. */
export async function seedOrder(
  h: ConsoleHarness,
  opts: {
    status?: OrderStatus;
    orderNo?: string;
    appId?: string;
    idNo?: string;
    name?: string;
    resultCode?: string;
    createdAt?: Date;
  } = {},
): Promise<SeededOrder> {
  const appId = opts.appId ?? h.cfg.apps[0]!.appId;
  const orderNo = opts.orderNo ?? uid('ORD');
  const key = dataKey(h.cfg.DATA_ENCRYPTION_KEY);
  const now = opts.createdAt ?? new Date();
  const order = await h.db.order.create({
    data: {
      appId,
      orderNo,
      status: opts.status ?? 'ARCHIVED',
      source: 'CALLBACK',
      callbackCode: '0',
      h5faceId: uid('h5'),
      verifiedAt: now,
      resultCode: opts.resultCode ?? '0',
      resultMsg: '成功',
      bizSeqNo: uid('biz'),
      liveRate: '99',
      similarity: '92.5',
      occurredTime: '20261123120000',
      idType: '01',
      idNoSealed: seal(opts.idNo ?? '110101199001011234', key),
      nameSealed: seal(opts.name ?? '张三', key),
      archivedAt: now,
      createdAt: now,
    },
  });
  const stored: Record<string, string> = {};
  for (const [kind, body, type] of [
    ['photo', PHOTO, 'image/jpeg'],
    ['video', VIDEO, 'video/mp4'],
  ] as const) {
    const put = await h.evidence.put({
      key: { appId, orderNo, date: now, kind },
      body: Readable.from([body]),
      contentType: type,
    });
    await h.db.evidence.create({
      data: { orderId: order.id, kind, key: put.key, bytes: put.bytes, sha256: put.sha256, contentType: type },
    });
    stored[kind] = put.key;
  }
  await h.db.callbackEvent.createMany({
    data: [
      {
        orderId: order.id,
        channel: 'redirect',
        appId,
        orderNo,
        code: '0',
        verdict: 'accepted',
        ticketMatched: 'current',
        params: { code: '0', orderNo },
        clientIp: '203.0.113.9',
      },
      {
        orderId: order.id,
        channel: 'redirect',
        appId,
        orderNo,
        code: '0',
        verdict: 'rejected',
        reason: 'signature mismatch',
        params: { code: '0', orderNo },
        clientIp: '198.51.100.66',
      },
    ],
  });
  await h.db.orderEvent.createMany({
    data: [
      { orderId: order.id, type: 'archive_started', detail: { attempt: 1 } },
      { orderId: order.id, type: 'archived', detail: { files: 2 } },
    ],
  });
  return { id: order.id, appId, orderNo, photoKey: stored.photo!, videoKey: stored.video! };
}

export interface TestUser {
  username: string;
  password: string;
  role: Role;
}

export async function createUser(h: ConsoleHarness, role: Role): Promise<TestUser> {
  const username = uid(`${role}-`);
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await createStaffUser(h.db, { username, role, password });
  return { username, password, role };
}

export interface Session {
  cookie: string;
  csrf: string;
  ip: string;
}

/** Logs in through the JSON API; returns the session cookie and CSRF token. */
export async function login(h: ConsoleHarness, user: TestUser, ip = fakeIp()): Promise<Session> {
  const res = await fetch(`${h.base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ username: user.username, password: user.password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { csrfToken: string };
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('fa_console='));
  if (!cookie) throw new Error('no session cookie');
  return { cookie, csrf: body.csrfToken, ip };
}

export type Auth = Session | { bearer: string } | undefined;

/** A request as a browser session (cookie + CSRF header), a bearer token, or anonymous. */
export function call(
  h: ConsoleHarness,
  auth: Auth,
  method: string,
  pathname: string,
  opts: { json?: unknown; headers?: Record<string, string>; csrf?: boolean; redirect?: 'manual' | 'follow' } = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  if (auth && 'cookie' in auth) {
    headers.cookie = auth.cookie;
    headers['x-forwarded-for'] ??= auth.ip;
    if (opts.csrf !== false && method !== 'GET') headers['x-csrf-token'] = auth.csrf;
  } else if (auth && 'bearer' in auth) {
    headers.authorization = `Bearer ${auth.bearer}`;
  }
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${h.base}${pathname}`, {
    method,
    headers,
    body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
    redirect: opts.redirect ?? 'manual',
  });
}

/** Audit rows written for requests carrying this User-Agent. */
export function auditRowsFor(h: ConsoleHarness, userAgent: string) {
  return h.db.auditEntry.findMany({ where: { userAgent }, orderBy: { id: 'asc' } });
}
