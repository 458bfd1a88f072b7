import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** An S3 emulator on a free port with a fresh bucket, for tests, the demo and benchmarks. */
export interface EmulatedS3 {
  /** Which implementation this is (fauxqs, s3rver): names test cases run on each. */
  name: string;
  /** http://127.0.0.1:<port>, path-style. */
  endpoint: string;
  /**
   * Where the emulator also serves `<bucket>.s3.localhost:<port>` (virtual-hosted style): an
   * endpoint for `forcePathStyle: false`. `*.localhost` does not resolve here, so a client must
   * connect to 127.0.0.1 itself (see test/support/s3-implementations.ts).
   */
  virtualHostedEndpoint?: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The S3_* variables pointing the service at this emulator and bucket (merge into process.env or loadConfig input). */
  s3Env: Record<string, string>;
  /** A raw S3 client on the emulator, for arranging and inspecting objects behind the code under test. */
  client: S3Client;
  /** Creates another empty bucket and returns its name. */
  newBucket(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface EmulatorSpec {
  name: string;
  /** A script that serves S3 on a free port for the buckets named in its arguments, prints {"port":N} and exits when stdin closes. */
  script: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Serves `<bucket>.s3.localhost` as well. */
  virtualHosted?: boolean;
}

const REGION = 'us-east-1';

const uniqueBucket = (prefix = 'evidence') => `${prefix}-${randomBytes(4).toString('hex')}`;

/**
 * Starts an emulator in a child process (its objects stay out of the test's memory, and it
 * never outlives the process that started it) and waits until it listens. Call `stop()` in afterAll.
 */
export async function startEmulator(spec: EmulatorSpec, opts: { bucket?: string } = {}): Promise<EmulatedS3> {
  const bucket = opts.bucket ?? uniqueBucket();
  const child = spawn(process.execPath, [spec.script, bucket], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await readPort(child, spec.name);
  const endpoint = `http://127.0.0.1:${port}`;
  const { credentials } = spec;
  const client = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials });
  return {
    name: spec.name,
    endpoint,
    ...(spec.virtualHosted ? { virtualHostedEndpoint: `http://s3.localhost:${port}` } : {}),
    bucket,
    region: REGION,
    credentials,
    client,
    s3Env: {
      S3_ENDPOINT: endpoint,
      S3_REGION: REGION,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    async newBucket(prefix) {
      const name = uniqueBucket(prefix);
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await exited;
    },
  };
}

function readPort(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`${name} did not start within 15 s`)), 15000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      lines.close();
      child.kill();
      reject(err);
    };
    child.once('exit', (code) => fail(new Error(`${name} exited with code ${code} before listening`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      child.removeAllListeners('exit');
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        fail(new Error(`unexpected output from ${name}: ${line}`));
      }
    });
  });
}
