import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** A fauxqs S3 emulator on a free port with a fresh bucket, for one test file. */
export interface FauxqsS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  region: string;
  /** The S3_* variables pointing the service at this emulator and bucket (merge into process.env or loadConfig input). */
  s3Env: Record<string, string>;
  /** A raw S3 client on the emulator, for arranging and inspecting objects behind the code under test. */
  client: S3Client;
  /** Creates another empty bucket and returns its name. */
  newBucket(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const uniqueBucket = (prefix = 'evidence') => `${prefix}-${randomBytes(4).toString('hex')}`;

/**
 * Starts fauxqs in a child process (see fauxqs-server.mjs for why) and waits until it listens.
 * Path-style addressing, as the emulator serves the bucket in the path. Call `stop()` in afterAll.
 */
export async function startFauxqs(opts: { bucket?: string } = {}): Promise<FauxqsS3> {
  const bucket = opts.bucket ?? uniqueBucket();
  const child = spawn(process.execPath, [path.join(__dirname, 'fauxqs-server.mjs'), bucket], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await readPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: CREDENTIALS });
  return {
    endpoint,
    bucket,
    region: REGION,
    client,
    s3Env: {
      S3_ENDPOINT: endpoint,
      S3_REGION: REGION,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
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

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error('fauxqs did not start within 15 s')), 15000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      lines.close();
      child.kill();
      reject(err);
    };
    child.once('exit', (code) => fail(new Error(`fauxqs exited with code ${code} before listening`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      child.removeAllListeners('exit');
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        fail(new Error(`unexpected output from fauxqs: ${line}`));
      }
    });
  });
}
