import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { componentLogger } from '../shared/platform/logger';
import { callbackSign } from '../shared/webank/signature';
import { FaultInjector } from './faults';
import { collect } from './media';
import { RequestLog } from './request-log';
import { faultGate } from './respond';
import { controlRoutes } from './routes/control';
import { FaceSessions } from './face-sessions';
import { startControlRoutes, startLoginRoutes } from './routes/start-login';
import { startUploadRoutes } from './routes/start-upload';
import { h5Routes } from './routes/h5';
import { oauthRoutes } from './routes/oauth';
import { ForcedAnswers, queryRoutes } from './routes/query';
import { ScanBook } from './scan-book';
import { seededRandom } from './format';
import { TicketOffice } from './ticket-office';
import type { ScanRecord, Simulator, SimulatorOptions } from './types';

export * from './types';

const log = componentLogger('simulator');

/**
 * Starts the WeBank stand-in over real HTTP: OAuth token and SIGN tickets, the three result
 * queries, the H5 scan page and a control API, plus a programmatic handle for tests.
 */
export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  if (!opts?.apps?.length) throw new Error('startSimulator needs at least one app');
  const secrets = new Map(opts.apps.map((a) => [a.appId, a.secret]));
  const office = new TicketOffice({
    secrets,
    periodMs: opts.ticketPeriodMs ?? 20 * 60_000,
    graceMs: opts.ticketGraceMs ?? 60_000,
    tokenTtlMs: opts.accessTokenTtlMs ?? 7200_000,
    // WeBank: a new access_token leaves the old one a minute ("旧的只有一分钟的并存期"); `false` = off.
    ...(opts.tokenOverlapMs !== false && { tokenOverlapMs: opts.tokenOverlapMs ?? 60_000 }),
    ...(opts.nonceTicketTtlMs !== undefined && { nonceTtlMs: opts.nonceTicketTtlMs }),
  });
  const sessions = new FaceSessions();
  const emptyCropRate = Math.min(1, Math.max(0, opts.emptyCropRate ?? 0));
  const cropDice = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  const scans = new ScanBook(
    (id) => office.knowsApp(id),
    opts.fileDelayMs ?? 0,
    Date.now,
    () => emptyCropRate > 0 && cropDice() < emptyCropRate,
  );
  const shapes = opts.legacyShapes ? 'legacy' : 'current';
  const forced = new ForcedAnswers();
  const faults = new FaultInjector(opts.seed);
  const requests = new RequestLog();
  const hanging = new Set<Response>();

  const scanOrThrow = (appId: string, orderNo: string): ScanRecord => {
    const scan = scans.get(appId, orderNo);
    if (!scan) throw new Error(`unknown scan ${appId}/${orderNo}`);
    return scan;
  };
  const signCallback = (appId: string, orderNo: string, code: string) =>
    callbackSign({ appId, orderNo, code, ticket: office.currentTicket(appId) });
  const callbackQuery = (appId: string, orderNo: string) => {
    const scan = scanOrThrow(appId, orderNo);
    const sig = signCallback(appId, orderNo, scan.code);
    return { code: scan.code, orderNo, h5faceId: scan.h5faceId, newSignature: sig, newSign: sig };
  };
  // 1007/114178, 1007/35895: a front-end error goes back to the callback URL with its code, unsigned.
  const frontendErrorQuery = (appId: string, orderNo: string, code: string) => {
    const h5faceId = sessions.forOrder(appId, orderNo)?.faceId ?? scans.get(appId, orderNo)?.h5faceId;
    return { code, orderNo, ...(h5faceId && { h5faceId }) };
  };

  const sim: Omit<Simulator, 'url' | 'port' | 'close'> = {
    currentTicket: (appId) => office.currentTicket(appId),
    rotateTickets: (appId) => {
      for (const id of appId === undefined ? secrets.keys() : [appId]) office.rotate(id);
    },
    // A scan of a started order carries what its upload recorded: the granted h5faceId, the identity.
    createScan: (input) => {
      const started = sessions.forOrder(input.appId, input.orderNo);
      if (!started) return scans.create(input);
      const { faceId: h5faceId, idNo, name } = started;
      return scans.create({ h5faceId, ...(idNo && { idNo }), ...(name && { name }), ...input });
    },
    getScan: (appId, orderNo) => scans.get(appId, orderNo),
    signCallback,
    callbackQuery,
    frontendErrorQuery,
    answerQueriesWith: (code, times = 1, msg) => forced.push(code, times, msg),
    servedMedia: (appId, orderNo) =>
      Object.fromEntries(Object.entries(scans.media(appId, orderNo)).map(([k, s]) => [k, s && collect(s)])),
    servedMediaDigest: (appId, orderNo) =>
      Object.fromEntries(
        Object.entries(scans.media(appId, orderNo)).map(([k, s]) => {
          if (!s) return [k, undefined];
          const h = createHash('sha256');
          for (const c of s.chunks()) h.update(c);
          return [k, { sha256: h.digest('hex'), size: s.length }];
        }),
      ),
    setFaults: (f) => void faults.set(f),
    clearFaults: () => {
      faults.clear();
      forced.clear();
    },
    requests: (filter) => requests.list(filter),
    nonceTickets: (appId, userId) => office.nonceTicketsOf(appId, userId),
    expireNonceTickets: (appId) => office.expireNonces(appId),
    faceSession: (appId, orderNo) => sessions.forOrder(appId, orderNo),
    clearRequests: () => requests.clear(),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const record = requests.middleware();
  app.use((req, res, next) => (/^\/(api|h5)\//.test(req.path) ? record(req, res, next) : next()));
  app.use(faultGate(faults, hanging));
  app.use(startUploadRoutes(office, sessions)); // before oauthRoutes: it takes api_ticket?type=NONCE
  app.use(startLoginRoutes(office, sessions));
  app.use(oauthRoutes(office));
  app.use(queryRoutes(office, scans, shapes, forced));
  app.use(
    h5Routes({ knowsApp: (id) => office.knowsApp(id), createScan: sim.createScan, callbackQuery, frontendErrorQuery }),
  );
  app.use('/control', startControlRoutes(office, sessions));
  app.use('/control', controlRoutes(sim, faults, office));
  app.get('/', (_req, res) => void res.type('text').send('WeBank simulator: see docs/simulator.md\n'));

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info('WeBank simulator listening', { url, apps: opts.apps.map((a) => a.appId) });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  return { ...sim, url, port, close };
}
