import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/** The project's own files in `npm run build`'s program: every file tsc emits to dist/ (imports included). */
async function buildProgram(): Promise<string[]> {
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const { stdout } = await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter((f) => f && !f.includes('/node_modules/'))
    .map((f) => path.relative(ROOT, f));
}

async function checkCompose(...args: string[]) {
  return run(process.execPath, [path.join(ROOT, 'scripts/check-compose.js'), ...args], { cwd: ROOT }).then(
    ({ stdout }) => ({ ok: true, output: stdout }),
    (err: { stdout: string; stderr: string }) => ({ ok: false, output: err.stdout + err.stderr }),
  );
}

describe('the production image', () => {
  let program: string[];
  beforeAll(async () => {
    program = await buildProgram();
  }, 120_000);

  it('when built, then dist/ holds the web, the workers, the CLI, the migration runner and the Prisma client, and no simulator, demo, dev tool, test or bench code', () => {
    for (const entry of [
      'src/web/server.ts',
      'src/workers/main.ts',
      'src/cli/main.ts',
      'src/shared/platform/migrate.ts',
    ])
      expect(program).toContain(entry);
    expect(program.some((f) => f.startsWith('src/generated/prisma/'))).toBe(true);
    const outside = program.filter((f) => !/^src\/(web|workers|cli|shared|generated)\//.test(f));
    expect(outside).toEqual([]);
  });

  it('then everything it imports at run time is a production dependency (the image installs no others)', () => {
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of program.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))) {
      const source = readFileSync(path.join(ROOT, file), 'utf8');
      // Value imports and requires; `import type` vanishes from the emitted JavaScript.
      for (const m of source.matchAll(
        /^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'|require\('([^']+)'\)/gm,
      )) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in pkg.dependencies))).toEqual([]);
  });

  it('then docker-compose.yml and the Dockerfile pass scripts/check-compose.js', async () => {
    const result = await checkCompose();
    expect(result).toMatchObject({ ok: true });
  });

  it('when a Dockerfile runs as root, has no health check, ships dev dependencies or migrates with Prisma, then check-compose refuses it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dockerfile-'));
    try {
      const original = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
      const nodeVersion = readFileSync(path.join(ROOT, '.node-version'), 'utf8').trim();
      const variants: Record<string, [string, RegExp]> = {
        root: [original.replace(/^USER node$/m, 'USER root'), /non-root USER/],
        noUser: [original.replace(/^USER node$/m, ''), /non-root USER/],
        noHealthcheck: [original.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''), /HEALTHCHECK/],
        devDeps: [original.replace('npm ci --omit=dev --omit=optional', 'npm ci --omit=optional'), /--omit=dev/],
        prismaMigrate: [
          original.replace(
            'CMD ["node", "dist/src/shared/platform/migrate.js"]',
            'CMD ["npx", "prisma", "migrate", "deploy"]',
          ),
          /prisma migrate|start:migrate/,
        ],
        oldNode: [original.replaceAll(`node:${nodeVersion}-slim`, 'node:20-slim'), /not node:\d/],
      };
      for (const [name, [text, problem]] of Object.entries(variants)) {
        expect(text).not.toBe(original);
        const file = path.join(dir, name);
        writeFileSync(file, text);
        const result = await checkCompose(path.join(ROOT, 'docker-compose.yml'), file);
        expect({ name, ...result }).toMatchObject({ name, ok: false, output: expect.stringMatching(problem) });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  // issue 15 item 11: the app was the Postgres superuser with a default password, and MinIO's root.
  it('when compose gives a password a default, runs the app as the table owner or as MinIO root, then check-compose refuses it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));
    try {
      const original = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
      const variants: Record<string, [string, RegExp]> = {
        defaultPassword: [
          original.replace(/\$\{POSTGRES_APP_PASSWORD:\?[^}]*\}/g, '${POSTGRES_APP_PASSWORD:-faceid}'),
          /POSTGRES_APP_PASSWORD has a default/,
        ],
        appOwnsTables: [
          original.replace(/postgresql:\/\/faceid_app:/g, 'postgresql://faceid_owner:'),
          /runtime role that neither owns/,
        ],
        minioRoot: [
          original.replace(
            /S3_ACCESS_KEY_ID: \$\{S3_ACCESS_KEY_ID:\?[^}]*\}/,
            'S3_ACCESS_KEY_ID: ${MINIO_ROOT_USER:?x}',
          ),
          /MinIO root user/,
        ],
      };
      for (const [name, [text, problem]] of Object.entries(variants)) {
        expect(text).not.toBe(original);
        const file = path.join(dir, `${name}.yml`);
        writeFileSync(file, text);
        const result = await checkCompose(file, path.join(ROOT, 'Dockerfile'));
        expect({ name, ...result }).toMatchObject({ name, ok: false, output: expect.stringMatching(problem) });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
