import { spawn } from 'node:child_process';
import path from 'node:path';

/** README's first command must keep working: the demo runs the whole flow and prints where the evidence went. */
describe('npm run demo', () => {
  test('when the demo runs, then a scan is archived with intact photo and video in S3', async () => {
    const root = path.join(__dirname, '../..');
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/demo/main.ts'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out).toMatch(/order demo\d+: ARCHIVED/);
    expect(out).toMatch(/photo\s+s3:\/\/\S+\/photo\.jpg .* re-read: intact/);
    expect(out).toMatch(/video\s+s3:\/\/\S+\/video\.mp4 .* re-read: intact/);
    // The partner learned the outcome from a signed webhook, checked with the library's verifier.
    expect(out).toMatch(/verification\.passed evt_[0-9a-f]{32}: signature verified with the webhook secret/);
    expect(out).toMatch(/evidence\.archived evt_[0-9a-f]{32}: signature verified/);
    expect(out).toMatch(/verified event: outcome passed, code 0/);
    expect(out).toMatch(/GET \/api\/orders\/demo\d+: HTTP 200, ARCHIVED, outcome passed, 2 evidence files/);
    expect(code).toBe(0);
  }, 90_000);

  test('when the demo runs with WEBANK_QUERY_API=queryfacerecord, then the scan is archived through the upgraded query', async () => {
    const root = path.join(__dirname, '../..');
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/demo/main.ts'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'development', WEBANK_QUERY_API: 'queryfacerecord' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out).toMatch(/results pulled with POST \/api\/v2\/base\/queryfacerecord/);
    expect(out).toMatch(/order demo\d+: ARCHIVED/);
    expect(out).toMatch(/video\s+s3:\/\/\S+\/video\.mp4 .* re-read: intact/);
    expect(code).toBe(0);
  }, 90_000);
});
