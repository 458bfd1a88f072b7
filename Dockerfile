# syntax=docker/dockerfile:1
# One image for both processes; the command picks web or worker (see docker-compose.yml):
#   node dist/src/web/server.js      (npm run start:web)
#   node dist/src/workers/main.js    (npm run start:worker)
# Targets: `build` (compile), `migrate` (Prisma CLI, runs the migrations), `runtime` (default, no dev deps).

FROM node:24.22.3-slim AS build
WORKDIR /app
# Prisma's schema engine (used by `prisma migrate deploy` in the migrate target) links OpenSSL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# postinstall runs `prisma generate` into src/generated, so the schema comes before `npm ci`.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc -p tsconfig.build.json: src/** → dist/src/** (rootDir "."), the generated Prisma client included.
RUN npm run build

# One-shot: applies prisma/migrations. Where Prisma's engine cannot be downloaded at build time,
# run `npm run db:migrate` in this image instead (same files, same _prisma_migrations table).
FROM build AS migrate
CMD ["npx", "prisma", "migrate", "deploy"]

FROM node:24.22.3-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies only; --ignore-scripts skips the postinstall `prisma generate` (the
# client is already compiled into dist/, and the Prisma CLI is a dev dependency).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# web: PORT (3000); worker: WORKER_PORT (3001) for /healthz, /readyz, /metrics.
EXPOSE 3000 3001
# SIGTERM reaches node directly (exec form, no npm or shell in between): graceful shutdown.
CMD ["node", "dist/src/web/server.js"]
