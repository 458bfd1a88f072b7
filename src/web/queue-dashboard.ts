import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import type { Config } from '../shared/platform/config';
import type { Db } from '../shared/platform/db';
import { AppError } from '../shared/platform/errors';
import { createAuth } from './auth/middleware';
import { browserErrorHandler } from './http-errors';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** Where the web app mounts the console (login, error pages' links). */
const CONSOLE_PATH = '/console';

export interface QueueDashboardDeps {
  db: Db;
  cfg: Config;
  queues: Queue[];
}

/**
 * bull-board at /admin/queues for staff with the admin role (console session or staff API
 * token); refusals are audited by the console's auth. Read-only: retrying, removing or promoting
 * jobs from here would bypass the audited re-queue of the console (`requeue` action). An
 * anonymous browser is sent to the console's login page; other errors are answered by
 * `browserErrorHandler` (http-errors.ts). bull-board renders its own UI, so the
 * path gets its own CSP: scripts and XHR from self only, inline styles allowed (the UI sets
 * them), no third-party fonts.
 */
export function queueDashboardRouter(deps: QueueDashboardDeps, basePath = QUEUE_DASHBOARD_PATH): Router {
  const auth = createAuth({ db: deps.db, cfg: deps.cfg });
  const board = new ExpressAdapter();
  board.setBasePath(basePath);
  createBullBoard({
    queues: deps.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true, displayName: q.name })),
    // @bull-board/express carries its own copy of @bull-board/api (a patch version apart): same shape, other declarations.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    // A way back to the console (its menu links here for admins).
    options: {
      uiConfig: {
        boardTitle: 'faceid-archiver queues',
        miscLinks: [{ text: '合规控制台 / Console', url: `${CONSOLE_PATH}/` }],
        hideDocsLink: true,
      },
    },
  });
  const router = express.Router();
  router.use(
    basePath,
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
    auth.requireStaff('admin'),
    board.getRouter() as Router,
  );
  // An anonymous page visit goes to the console's login; API calls keep their 401.
  router.use(basePath, (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const wantsPage = req.method === 'GET' && !req.path.startsWith('/api/') && req.accepts(['html', 'json']) === 'html';
    if (err instanceof AppError && err.status === 401 && wantsPage) {
      res.redirect(303, `${CONSOLE_PATH}/login`);
      return;
    }
    next(err);
  });
  // Other refusals and failures: a page in the console's chrome for a browser, JSON for the UI's API calls.
  router.use(basePath, browserErrorHandler({ consoleBase: CONSOLE_PATH }));
  return router;
}
