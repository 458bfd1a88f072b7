#!/usr/bin/env node
// Checks docker-compose.yml and the Dockerfile without Docker: the YAML parses (anchors and
// merge keys resolved), every service it depends on exists, and the commands, ports and health
// checks agree with package.json and the service's configuration. `node scripts/check-compose.js`.
// js-yaml is not a dependency of ours; it comes with jest (dev install).
const { readFileSync } = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');

const root = path.join(__dirname, '..');
const compose = yaml.safeLoad(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'));
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const problems = [];
const check = (ok, message) => ok || problems.push(message);

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
const script = (s) => pkg.scripts[s].split(' ');
check(
  JSON.stringify(web.command) === JSON.stringify(script('start:web')),
  `web command ${JSON.stringify(web.command)} ≠ npm start:web`,
);
check(JSON.stringify(worker.command) === JSON.stringify(script('start:worker')), `worker command ≠ npm start:worker`);
check(worker.deploy?.replicas === 2, 'worker should run 2 replicas');
check(String(redis.command).includes('noeviction'), 'redis must run with --maxmemory-policy noeviction');
check(String(redis.command).includes('appendonly'), 'redis should persist (appendonly)');
check(postgres.image === 'postgres:16' && redis.image === 'redis:7', 'postgres:16 and redis:7 expected');
check(
  JSON.stringify(web.healthcheck?.test ?? '').includes('3000/readyz'),
  'web health check should call /readyz on 3000',
);
check(
  JSON.stringify(worker.healthcheck?.test ?? '').includes('3001/readyz'),
  'worker health check should call /readyz on 3001',
);
check(
  web.environment?.PORT === '3000' && worker.environment?.WORKER_PORT === '3001',
  'PORT / WORKER_PORT must match the health checks',
);
check(migrate.build?.target === 'migrate' && /FROM build AS migrate/.test(dockerfile), 'migrate target missing');
check(web.build?.target === 'runtime' && /FROM node:20-slim AS runtime/.test(dockerfile), 'runtime target missing');
const timeout = Number(web.environment?.SHUTDOWN_TIMEOUT_MS);
check(parseInt(web.stop_grace_period, 10) * 1000 > timeout, 'stop_grace_period must exceed SHUTDOWN_TIMEOUT_MS');
// Every variable the services get must be one the configuration knows.
const known = new Set(
  [...readFileSync(path.join(root, 'src/shared/platform/config.ts'), 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map(
    (m) => m[1],
  ),
);
for (const name of Object.keys(web.environment ?? {})) check(known.has(name), `unknown variable ${name}`);
// The paths the image runs must be what `npm run build` produces.
const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
check(
  tsconfig.compilerOptions.outDir === 'dist' && tsconfig.compilerOptions.rootDir === '.',
  'build output is no longer dist/src/...',
);

if (problems.length) {
  console.error(`docker-compose.yml / Dockerfile:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log(`docker-compose.yml: ${Object.keys(services).length} services, YAML and wiring OK`);
