# syntax=docker/dockerfile:1
# One image for both processes; the command picks web or worker (see docker-compose.yml):
#   node dist/src/web/server.js                (npm run start:web, the default)
#   node dist/src/workers/main.js              (npm run start:worker)
#   node dist/src/shared/platform/migrate.js   (npm run start:migrate, the `migrate` target's command)
# Targets: `build` (compiles), `migrate` (applies prisma/migrations with the project's own runner,
# nothing downloaded at start), `runtime` (the default: the last stage). Production stages hold
# production dependencies and `npm run build`'s output only (web, workers, CLI, migrations; no
# simulator, demo or dev tools), and run as the unprivileged `node` user.
# The Node.js release is .node-version's; scripts/check-compose.js checks they agree.

FROM node:24.22.3-slim AS build
WORKDIR /app
# postinstall runs `prisma generate` into src/generated (no engine download), so the schema comes first.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc -p tsconfig.build.json: src/{web,workers,cli,shared,generated} → dist/src/... (rootDir ".").
RUN npm run build

FROM node:24.22.3-slim AS production
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies only. --omit=optional also leaves out what the lockfile marks
# "devOptional": the Prisma CLI, TypeScript and their trees (~250 MB), which npm would otherwise
# install as optional peers of @prisma/client; it costs msgpackr's optional native decoder
# (BullMQ falls back to its JavaScript one). --ignore-scripts skips the postinstall `prisma
# generate`: the client is already compiled into dist/.
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The migration runner finds prisma/migrations by walking up from dist/src/shared/platform/.
COPY prisma/migrations ./prisma/migrations
USER node

# One-shot: applies pending migrations (same files and `_prisma_migrations` table as Prisma's).
FROM production AS migrate
CMD ["node", "dist/src/shared/platform/migrate.js"]

FROM production AS runtime
# web: PORT (3000, public) and OPS_PORT (3002, internal: /healthz, /readyz, /metrics);
# worker: WORKER_PORT (3001, internal: the same three). Publish only 3000.
EXPOSE 3000 3001 3002
# Liveness with node itself (slim images have no curl): a container runs the web or a worker, so
# whichever internal port answers /healthz with 200 makes it healthy. Compose asks /readyz instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const ok = (p) => fetch(`http://127.0.0.1:${p}/healthz`).then((r) => r.ok, () => false); Promise.all([ok(process.env.OPS_PORT || 3002), ok(process.env.WORKER_PORT || 3001)]).then((r) => process.exit(r.includes(true) ? 0 : 1))"]
# SIGTERM reaches node directly (exec form, no npm or shell in between): graceful shutdown.
CMD ["node", "dist/src/web/server.js"]
