import express, { type Router } from 'express';
import helmet from 'helmet';
import { notFound } from '../../shared/platform/errors';
import { createAuth } from '../auth/middleware';
import { browserErrorHandler } from '../http-errors';
import { apiTokenRoutes } from './api-tokens';
import { assetRoutes } from './assets';
import { auditRoutes } from './audit';
import { callbackAttemptRoutes } from './callback-attempts';
import type { ConsoleDeps, ConsoleRouters, RouteDeps } from './deps';
import { evidenceRoutes } from './evidence';
import { exportRoutes } from './exports';
import { attentionCount, needsAttentionRoutes } from './needs-attention';
import { orderSearchRoutes } from './order-search';
import { orderRoutes } from './orders';
import { languageSwitch, localeMiddleware } from './locale';
import { ordersAtRiskRoutes } from './orders-at-risk';
import { sessionRoutes } from './session';
import { staffUserRoutes } from './staff-users';
import { webhookRoutes } from './webhooks';

export type { ConsoleDeps } from './deps';

/** One module per resource; each adds its JSON API routes and its pages (see docs/architecture.md). */
const RESOURCES: ((deps: RouteDeps, routers: ConsoleRouters) => void)[] = [
  sessionRoutes,
  orderSearchRoutes,
  ordersAtRiskRoutes,
  needsAttentionRoutes,
  orderRoutes,
  callbackAttemptRoutes,
  evidenceRoutes,
  exportRoutes,
  auditRoutes,
  staffUserRoutes,
  apiTokenRoutes,
  webhookRoutes,
];

/**
 * The compliance console, mounted by the web app at /console: pages at /console/...,
 * the JSON API at /console/api/..., script and styles at /console/static/... (see docs/console.md).
 * It has its own CSP (no inline code, media and images from self only) and error rendering.
 */
export function createConsoleRouter(deps: ConsoleDeps): Router {
  const auth = createAuth(deps);
  const routeDeps = { ...deps, auth };
  const router = express.Router();
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          mediaSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  router.use(express.json({ limit: '32kb' }), express.urlencoded({ extended: false, limit: '32kb' }));
  router.use(localeMiddleware());
  router.use(assetRoutes());
  router.use(attentionCount(deps));
  router.get('/lang', languageSwitch(deps.cfg));
  const routers: ConsoleRouters = { api: express.Router(), pages: express.Router() };
  for (const addRoutes of RESOURCES) addRoutes(routeDeps, routers);
  router.use('/api', routers.api);
  router.use(routers.pages);
  router.use(() => {
    throw notFound('no such console page');
  });
  router.use(browserErrorHandler());
  return router;
}
