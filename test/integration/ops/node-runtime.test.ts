import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EmulatedS3 } from '../../../src/dev/s3-emulator';
import { startFauxqs } from '../../support/fauxqs';
import { eventually } from '../../support/pipeline';
import { freePort } from '../../support/throwaway-redis';
import { uid } from '../../support/web-harness';

const ROOT = path.join(__dirname, '../../..');
const NODE_VERSION = readFileSync(path.join(ROOT, '.node-version'), 'utf8').trim();
/** What @aws-sdk/core prints (process.emitWarning) when it runs on a Node.js it will stop supporting. */
const SDK_NODE_WARNING = /NodeVersionSupportWarning|AWS SDK for JavaScript \(v3\)[\s\S]*require node/;

/** Node.js (this test's own) running `args` in the repository; `output` collects stdout and stderr as they come. */
function node(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, output: '', closed: new Promise<number | null>((resolve) => child.once('close', resolve)) };
  child.stdout.on('data', (d: Buffer) => (run.output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.output += d.toString()));
  return run;
}

/**
 * Runs a service entry point as `npm run dev:web` / `dev:worker` do, until its /readyz has been
 * asked once (a real S3 HeadBucket through the SDK), then stops it with SIGTERM. Resolves with
 * everything it wrote to stdout and stderr.
 */
async function runEntry(entry: string, portVar: string, env: Record<string, string>) {
  const port = await freePort();
  // The web serves /readyz on its internal ops port only (OPS_PORT); the worker on WORKER_PORT.
  const opsPort = portVar === 'PORT' ? await freePort() : port;
  // Its own app id: two workers of one app would wait for each other's ticket refresh at startup.
  const run = node(['--import', 'tsx', entry], {
    ...process.env,
    ...env,
    WEBANK_APP_ID: uid('TIDA'),
    [portVar]: String(port),
    OPS_PORT: String(opsPort),
    NODE_ENV: 'production',
  });
  const { child } = run;
  try {
    const exited = run.closed.then((code) => Promise.reject(new Error(`${entry} exited with ${code}`)));
    const up = eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok,
      240_000,
    );
    await Promise.race([up, exited]).catch((err: Error) => {
      throw new Error(`${err.message}\n${run.output}`);
    });
    // Not ready (no SIGN ticket: WeBank is unreachable here), but S3 has been asked.
    const ready = (await (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).json()) as { checks?: unknown };
    expect(JSON.stringify(ready)).toMatch(/"s3"/);
  } finally {
    child.kill('SIGTERM');
    await run.closed;
  }
  return run.output;
}

describe('the Node.js the service runs on', () => {
  let s3: EmulatedS3;
  let env: Record<string, string>;
  beforeAll(async () => {
    s3 = await startFauxqs();
    env = {
      ...s3.s3Env,
      QUEUE_PREFIX: `{${uid('node')}}`,
      WEBANK_BASE_URL: 'http://127.0.0.1:9',
      WEBANK_TIMEOUT_MS: '500',
    };
  });
  afterAll(async () => s3?.stop());

  it('is the major release of .node-version (the image ships it; .ci/run installs that exact release)', () => {
    expect(process.version.split('.')[0]).toBe(`v${NODE_VERSION.split('.')[0]}`);
    const engines = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
      .engines.node;
    expect(engines).toBe(`>=${NODE_VERSION.split('.')[0]} <${Number(NODE_VERSION.split('.')[0]) + 1}`);
  });

  it("when the web and the worker start and ask S3, then neither prints the AWS SDK's Node.js support warning", async () => {
    const [web, worker] = await Promise.all([
      runEntry('src/web/server.ts', 'PORT', env),
      runEntry('src/workers/main.ts', 'WORKER_PORT', env),
    ]);
    expect(web).toMatch(/web listening/);
    expect(worker).toMatch(/worker health listening/);
    expect(web).not.toMatch(SDK_NODE_WARNING);
    expect(worker).not.toMatch(SDK_NODE_WARNING);
  }, 300_000);

  it('when the SDK believes it runs on Node 20, then it prints that warning where the test above looks for it', async () => {
    const run = node([
      '--require',
      path.join(ROOT, 'test/support/pretend-node-20.cjs'),
      '-e',
      "new (require('@aws-sdk/client-s3').S3Client)({ region: 'us-east-1' }); console.log(process.version)",
    ]);
    await run.closed;
    const { output } = run;
    expect(output).toMatch(/^v20\.20\.2$/m);
    expect(output).toMatch(SDK_NODE_WARNING);
  });
});
