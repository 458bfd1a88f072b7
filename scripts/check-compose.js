#!/usr/bin/env node
// Checks docker-compose.yml and the Dockerfile without Docker: the YAML parses (anchors and
// merge keys resolved), every service it depends on exists, the commands, ports and health
// checks agree with package.json and the service's configuration, and the image is what
// production should run (the Node.js of .node-version, production dependencies and `npm run
// build`'s output only, migrations by the project's own runner, a non-root user, a health check).
// `node scripts/check-compose.js [docker-compose.yml] [Dockerfile]`; npm test runs it
// (test/integration/ops/production-build.test.ts). js-yaml comes with jest (dev install).
const { readFileSync } = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');

const root = path.join(__dirname, '..');
const [composePath = path.join(root, 'docker-compose.yml'), dockerfilePath = path.join(root, 'Dockerfile')] =
  process.argv.slice(2);
const compose = yaml.safeLoad(readFileSync(composePath, 'utf8'));
const dockerfile = readFileSync(dockerfilePath, 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodeVersion = readFileSync(path.join(root, '.node-version'), 'utf8').trim();
const problems = [];
const check = (ok, message) => ok || problems.push(message);
const script = (s) => pkg.scripts[s].split(' ');
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// --- docker-compose.yml -------------------------------------------------------------------
const services = compose.services ?? {};
for (const name of ['postgres', 'redis', 'minio', 'bucket', 'migrate', 'web', 'worker'])
  check(services[name], `service ${name} missing`);
for (const [name, svc] of Object.entries(services)) {
  for (const dep of Object.keys(svc.depends_on ?? {}))
    check(services[dep], `${name} depends on unknown service ${dep}`);
  for (const v of svc.volumes ?? []) {
    const vol = String(v).split(':')[0];
    if (!vol.startsWith('.') && !vol.startsWith('/'))
      check(compose.volumes && vol in compose.volumes, `${name} uses undeclared volume ${vol}`);
  }
}
const { web = {}, worker = {}, redis = {}, postgres = {}, migrate = {} } = services;
check(same(web.command, script('start:web')), `web command ${JSON.stringify(web.command)} ≠ npm start:web`);
check(same(worker.command, script('start:worker')), `worker command ≠ npm start:worker`);
check(worker.deploy?.replicas === 2, 'worker should run 2 replicas');
check(String(redis.command).includes('noeviction'), 'redis must run with --maxmemory-policy noeviction');
check(String(redis.command).includes('appendonly'), 'redis should persist (appendonly)');
check(postgres.image === 'postgres:16' && redis.image === 'redis:7', 'postgres:16 and redis:7 expected');
check(
  JSON.stringify(web.healthcheck?.test ?? '').includes('3002/readyz'),
  'web health check should call /readyz on the internal OPS_PORT 3002',
);
check(
  JSON.stringify(worker.healthcheck?.test ?? '').includes('3001/readyz'),
  'worker health check should call /readyz on 3001',
);
check(
  web.environment?.PORT === '3000' &&
    web.environment?.OPS_PORT === '3002' &&
    worker.environment?.WORKER_PORT === '3001',
  'PORT / OPS_PORT / WORKER_PORT must match the health checks',
);
check(
  !JSON.stringify(web.ports ?? []).includes('3002'),
  'the web OPS_PORT (3002: /readyz, /metrics) must not be published',
);
check(web.build?.target === 'runtime', 'web and worker must build the runtime target');
check(migrate.build?.target === 'migrate', 'the migrate service must build the migrate target');
check(
  migrate.command === undefined || same(migrate.command, script('start:migrate')),
  'the migrate service must run npm start:migrate (the project runner)',
);
check(!/prisma\s+migrate/.test(JSON.stringify(compose)), 'compose must not run `prisma migrate` (engine download)');
const timeout = Number(web.environment?.SHUTDOWN_TIMEOUT_MS);
check(parseInt(web.stop_grace_period, 10) * 1000 > timeout, 'stop_grace_period must exceed SHUTDOWN_TIMEOUT_MS');
// Every variable the services get must be one the configuration knows.
const known = new Set(
  [...readFileSync(path.join(root, 'src/shared/platform/config.ts'), 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map(
    (m) => m[1],
  ),
);
for (const name of Object.keys(web.environment ?? {})) check(known.has(name), `unknown variable ${name}`);

// --- least privilege (issue 15 item 11) ---------------------------------------------------
// No default passwords: every secret is a required variable (${VAR:?...}), never ${VAR:-default}.
for (const name of new Set(
  [...JSON.stringify(compose).matchAll(/\$\{([A-Z0-9_]*(PASSWORD|SECRET|ROOT_USER)[A-Z0-9_]*):?-/g)].map((m) => m[1]),
))
  problems.push(`${name} has a default in compose; require it with \${${name}:?...}`);
const dbUser = (url) => /^postgres(?:ql)?:\/\/([^:@/]+)/.exec(String(url ?? ''))?.[1];
const runtimeUser = dbUser(web.environment?.DATABASE_URL);
const ownerUser = dbUser(migrate.environment?.MIGRATION_DATABASE_URL);
check(ownerUser, 'the migrate service must migrate as the owner role (MIGRATION_DATABASE_URL)');
check(
  runtimeUser && runtimeUser !== ownerUser && runtimeUser !== (postgres.environment?.POSTGRES_USER ?? 'postgres'),
  'web and worker must connect as a runtime role that neither owns the tables nor is the superuser',
);
check(
  dbUser(migrate.environment?.DATABASE_URL) === runtimeUser,
  'the migrate service must name the runtime role (DATABASE_URL) so it is granted its privileges',
);
check(
  (postgres.volumes ?? []).some((v) => String(v).includes('/docker-entrypoint-initdb.d')),
  'postgres must run the init script that creates the owner and runtime roles',
);
const minio = services.minio ?? {};
const bucket = services.bucket ?? {};
const varOf = (v) => /^\$\{([A-Z0-9_]+)/.exec(String(v ?? ''))?.[1] ?? String(v);
check(
  varOf(web.environment?.S3_ACCESS_KEY_ID) !== varOf(minio.environment?.MINIO_ROOT_USER),
  'the app must not use the MinIO root user',
);
check(
  /BypassGovernanceRetention/.test(JSON.stringify(bucket)) && /admin user add/.test(JSON.stringify(bucket)),
  'the bucket job must create the app its own S3 user, denied s3:BypassGovernanceRetention',
);

// --- Dockerfile ---------------------------------------------------------------------------
/** Stages in order: { name, from, instructions: [{ op, args }] }, continuation lines joined. */
const stages = [];
for (const line of dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
  const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
  if (!m || line.trim().startsWith('#')) continue;
  const op = m[1].toUpperCase();
  const args = m[2].trim();
  if (op === 'FROM') {
    const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
    stages.push({ name: name ?? String(stages.length), from, instructions: [] });
  } else stages.at(-1)?.instructions.push({ op, args });
}
const stage = (name) => stages.find((s) => s.name === name);
/** A stage's instructions with those of the stages it is built FROM, oldest first. */
const lineage = (name) => {
  const s = stage(name);
  if (!s) return [];
  return [...lineage(s.from), ...s.instructions];
};
const last = (name, op) =>
  lineage(name)
    .filter((i) => i.op === op)
    .at(-1)?.args;
const execForm = (args) => {
  try {
    return JSON.parse(args);
  } catch {
    return undefined;
  }
};

check(stages.at(-1)?.name === 'runtime', 'the last stage (the default target) must be runtime');
for (const s of stages.filter((s) => !stage(s.from)))
  check(s.from === `node:${nodeVersion}-slim`, `stage ${s.name} is FROM ${s.from}, not node:${nodeVersion}-slim`);
for (const target of ['runtime', 'migrate']) {
  const steps = lineage(target);
  check(steps.length > 0, `${target} target missing`);
  const user = last(target, 'USER');
  check(user && !/^(root|0)(:|$)/.test(user), `${target} must run as a non-root USER (has ${user ?? 'none'})`);
  const installs = steps.filter((i) => i.op === 'RUN' && /\bnpm (ci|install)\b/.test(i.args));
  check(
    installs.length > 0 && installs.every((i) => /--omit=dev/.test(i.args)),
    `${target} must install production dependencies only (npm ci --omit=dev)`,
  );
  check(
    steps.some((i) => i.op === 'COPY' && /--from=build\s+\S*dist\s/.test(i.args)),
    `${target} must take dist/ from the build stage`,
  );
  check(
    steps.some((i) => i.op === 'COPY' && /^prisma\/migrations\s+(\.\/)?prisma\/migrations\/?$/.test(i.args)),
    `${target} must copy prisma/migrations to ./prisma/migrations (the runner looks there)`,
  );
  check(!steps.some((i) => i.op === 'COPY' && /^(src|test|bench)\b/.test(i.args)), `${target} must not copy sources`);
}
check(same(execForm(last('runtime', 'CMD')), script('start:web')), 'runtime CMD must be npm start:web');
check(same(execForm(last('migrate', 'CMD')), script('start:migrate')), 'migrate CMD must be npm start:migrate');
check(!/prisma\s+migrate/.test(dockerfile), 'the Dockerfile must not run `prisma migrate` (engine download)');
const health = last('runtime', 'HEALTHCHECK') ?? '';
check(
  /CMD\s+\[\s*"node"/.test(health) && health.includes('/healthz') && /PORT/.test(health) && /WORKER_PORT/.test(health),
  'runtime needs a HEALTHCHECK run with node against /healthz on PORT and WORKER_PORT',
);
check(!/\b(curl|wget)\b/.test(health), 'slim images have no curl or wget: the HEALTHCHECK must use node');

// --- what the image runs is what `npm run build` emits --------------------------------------
const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
const buildConfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
check(
  tsconfig.compilerOptions.outDir === 'dist' && tsconfig.compilerOptions.rootDir === '.',
  'build output is no longer dist/src/...',
);
check(
  !buildConfig.include.some((p) => /^(src\/(simulator|demo|dev)|test|bench|src)\/?$/.test(p)),
  `tsconfig.build.json must include production folders only, not ${buildConfig.include}`,
);
check(/tsconfig\.build\.json/.test(pkg.scripts.build), 'npm run build must use tsconfig.build.json');

if (problems.length) {
  console.error(`docker-compose.yml / Dockerfile:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log(
  `docker-compose.yml: ${Object.keys(services).length} services; Dockerfile: ${stages.length} stages; wiring, user, health check and migrations OK`,
);
