import express, { type Router } from 'express';
import helmet from 'helmet';
import { notFound } from '../../shared/platform/errors';
import { createAuth } from '../auth/middleware';
import { apiRoutes } from './api';
import { assetRoutes } from './assets';
import type { ConsoleDeps } from './deps';
import { consoleErrorHandler } from './errors';
import { pageRoutes } from './pages';

export type { ConsoleDeps } from './deps';

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
  router.use(assetRoutes());
  router.use('/api', apiRoutes(routeDeps));
  router.use(pageRoutes(routeDeps));
  router.use(() => {
    throw notFound('no such console page');
  });
  router.use(consoleErrorHandler);
  return router;
}
