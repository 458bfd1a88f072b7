import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import path from 'node:path';
import { videoSource } from '../../src/simulator/media';
import { APP, queryUrl } from './helpers';

const VIDEO_BYTES = 64 * 1024 * 1024;
const ROOT = path.resolve(__dirname, '../..');

/** Reads a sync answer as a stream and decodes the video base64 as it arrives, keeping only a hash. */
function streamVideo(
  url: string,
): Promise<{ size: number; sha256: string; head: Buffer; contentLength: number; tail: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const hash = createHash('sha256');
      const marker = '"video":"';
      let state: 'before' | 'in' | 'after' = 'before';
      let pending = '';
      let size = 0;
      let head = Buffer.alloc(0);
      let tail = '';
      const decode = (b64: string) => {
        const bytes = Buffer.from(b64, 'base64');
        if (head.length < 16) head = Buffer.concat([head, bytes.subarray(0, 16 - head.length)]);
        hash.update(bytes);
        size += bytes.length;
      };
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => {
        if (state === 'after') return void (tail += chunk);
        pending += chunk;
        if (state === 'before') {
          const at = pending.indexOf(marker);
          if (at < 0) return void (pending = pending.slice(-marker.length));
          pending = pending.slice(at + marker.length);
          state = 'in';
        }
        const end = pending.indexOf('"');
        const body = end < 0 ? pending : pending.slice(0, end);
        const whole = end < 0 ? body.length - (body.length % 4) : body.length;
        decode(body.slice(0, whole));
        if (end < 0) pending = body.slice(whole);
        else {
          tail = pending.slice(end);
          pending = '';
          state = 'after';
        }
      });
      res.on('end', () =>
        resolve({ size, sha256: hash.digest('hex'), head, contentLength: Number(res.headers['content-length']), tail }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Starts `npm run simulator`'s entry in its own process, so its memory is measured alone. */
function startChild(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/simulator/main.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, SIM_PORT: '0', SIM_APPS: `${APP.appId}:${APP.secret}`, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${out}`)));
  });
}

const json = async (url: string, init?: RequestInit) => (await (await fetch(url, init)).json()) as Record<string, any>;

describe('simulator: huge videos', () => {
  let child: ChildProcess | undefined;
  let url: string;
  beforeAll(async () => {
    ({ child, url } = await startChild());
  }, 30_000);
  afterAll(() => {
    if (child?.pid) process.kill(child.pid, 'SIGTERM');
  });

  test('when a 64 MB video is requested, then the body streams it with an MP4 header while the simulator RSS stays flat', async () => {
    const created = await fetch(`${url}/control/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: APP.appId, orderNo: 'order-huge', videoBytes: VIDEO_BYTES }),
    });
    expect(created.status).toBe(201);
    const { current: ticket } = await json(`${url}/control/tickets/${APP.appId}`);
    const expected = createHash('sha256');
    for (const c of videoSource(VIDEO_BYTES).chunks()) expected.update(c);

    const baseline = (await json(`${url}/control/stats`)).rss as number;
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await json(`${url}/control/stats`)).rss);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const got = await streamVideo(queryUrl({ url } as never, { orderNo: 'order-huge', ticket, getFile: '3' }));
    sampling = false;
    await sampler;

    expect(got.size).toBe(VIDEO_BYTES);
    expect(got.sha256).toBe(expected.digest('hex'));
    expect(got.head.toString('latin1', 4, 8)).toBe('ftyp');
    expect(got.contentLength).toBeGreaterThan((VIDEO_BYTES * 4) / 3);
    expect(got.tail).toBe('","success":false}}');
    // Holding the video or its base64 would add 64-150 MB; streamed, the simulator grows ~10 MB (GC lag).
    expect(peak - baseline).toBeLessThan(VIDEO_BYTES / 3);
  });
});
