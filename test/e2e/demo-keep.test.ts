import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** A free TCP port for the demo's web service (the default 3000 may be taken on a shared machine). */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `npm run demo -- --keep` must leave everything up for a person to try, queue dashboard included. */
describe('npm run demo -- --keep', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  test('when run with --keep, then it stays up past the start, serves the console and /admin/queues, and stops on SIGINT', async () => {
    const root = path.join(__dirname, '../..');
    const port = await freePort();
    child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/demo/main.ts', '--keep'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'development', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));

    const deadline = Date.now() + 60_000;
    while (!out.includes('--keep') && child.exitCode === null && Date.now() < deadline) await sleep(200);
    expect(out).toContain('--keep');
    // Today it exits about 4 s after printing this; it must still be up well after that.
    await sleep(8_000);
    expect(child.exitCode).toBeNull();

    const login = await fetch(`http://127.0.0.1:${port}/console/login`);
    expect(login.status).toBe(200);
    const queues = await fetch(`http://127.0.0.1:${port}/admin/queues`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    // Mounted: an anonymous browser is sent to the console's login (unmounted would be a 404).
    expect(queues.status).toBe(303);
    expect(queues.headers.get('location')).toBe('/console/login');

    child.kill('SIGINT');
    await expect(exited).resolves.toBe(0);
  }, 120_000);
});
