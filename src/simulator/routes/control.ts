import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { FaultInjector } from '../faults';
import type { TicketOffice } from '../ticket-office';
import { FRONTEND_ERROR_CODES, type Faults, type ScanInput, type Simulator } from '../types';

type Sim = Pick<
  Simulator,
  | 'createScan'
  | 'getScan'
  | 'callbackQuery'
  | 'frontendErrorQuery'
  | 'answerQueriesWith'
  | 'clearFaults'
  | 'requests'
  | 'clearRequests'
  | 'currentTicket'
  | 'rotateTickets'
>;

const param = (req: Request, name: string) => String(req.params[name] ?? '');

/**
 * The JSON control API for tests, the demo and rehearsals: create scans, inject faults, read what
 * was requested, rotate and read tickets. Bind the simulator to a private interface: it hands out
 * tickets to anyone who asks.
 */
export function controlRoutes(sim: Sim, faults: FaultInjector, office: TicketOffice): Router {
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  router.post('/scans', (req, res) => {
    const input = { ...(req.body ?? {}) } as ScanInput & { finishedAt?: string | Date };
    if (input.finishedAt !== undefined) input.finishedAt = new Date(input.finishedAt);
    const scan = sim.createScan(input);
    res.status(201).json({ ...scan, callback: sim.callbackQuery(scan.appId, scan.orderNo) });
  });

  router.get('/scans/:appId/:orderNo', (req, res) => {
    const scan = sim.getScan(param(req, 'appId'), param(req, 'orderNo'));
    if (!scan) return void res.status(404).json({ error: 'unknown scan' });
    res.json({ ...scan, callback: sim.callbackQuery(scan.appId, scan.orderNo) });
  });

  /** The unsigned query a front-end error sends the callback URL (1007/114178): `?code=3003` by default. */
  router.get('/frontend-error/:appId/:orderNo', (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code : '3003';
    if (!(FRONTEND_ERROR_CODES as readonly string[]).includes(code))
      return void res.status(400).json({ error: 'unknown front-end code' });
    res.json(sim.frontendErrorQuery(param(req, 'appId'), param(req, 'orderNo'), code));
  });

  /** `{"code":"15","times":1}`: the next signed queries answer that code (see answerQueriesWith). */
  router.post('/answer-codes', (req, res) => {
    const { code, times, msg } = (req.body ?? {}) as { code?: unknown; times?: unknown; msg?: unknown };
    if (typeof code !== 'string' || !/^-?[0-9]{1,12}$/.test(code))
      return void res.status(400).json({ error: 'code must be a WeBank code' });
    const n = times === undefined ? 1 : Number(times);
    if (!Number.isInteger(n) || n < 1 || n > 1000) return void res.status(400).json({ error: 'times must be 1..1000' });
    if (msg !== undefined && (typeof msg !== 'string' || msg.length > 4096))
      return void res.status(400).json({ error: 'msg must be a string' });
    sim.answerQueriesWith(code, n, msg);
    res.status(204).end();
  });

  router.get('/faults', (_req, res) => void res.json(faults.current()));
  router.post('/faults', (req, res) => void res.json(faults.set((req.body ?? {}) as Partial<Faults>)));
  router.delete('/faults', (_req, res) => {
    sim.clearFaults(); // the faults and any queued answer codes
    res.status(204).end();
  });

  router.get('/requests', (req, res) => {
    const path = typeof req.query.path === 'string' ? req.query.path : undefined;
    res.json(sim.requests(path ? { path } : undefined));
  });
  router.delete('/requests', (_req, res) => {
    sim.clearRequests();
    res.status(204).end();
  });

  router.post('/rotate', (req, res) => {
    const appId = (req.body as { appId?: unknown } | undefined)?.appId;
    if (appId !== undefined && (typeof appId !== 'string' || !office.knowsApp(appId))) {
      return void res.status(400).json({ error: 'unknown appId' });
    }
    sim.rotateTickets(appId);
    res.status(204).end();
  });

  router.get('/tickets/:appId', (req, res) => {
    const appId = param(req, 'appId');
    if (!office.knowsApp(appId)) return void res.status(404).json({ error: 'unknown appId' });
    const current = sim.currentTicket(appId);
    res.json({ current, valid: office.validTickets(appId) });
  });

  /** The simulator process's memory, so a test can watch it while a huge video streams. */
  router.get('/stats', (_req, res) => {
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    res.json({ rss, heapUsed, external, arrayBuffers });
  });

  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status ?? 400;
    res
      .status(status >= 400 && status < 600 ? status : 400)
      .json({ error: err instanceof Error ? err.message : String(err) });
  });
  return router;
}
