// Runs s3rver in a child process for src/dev/s3rver.ts, on a free port with the buckets named in
// the arguments, its objects in a fresh temporary directory (removed on exit). Prints {"port":N}
// once listening; exits when stdin closes, so it never outlives the process that started it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const S3rver = require('s3rver');

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  // Virtual-hosted requests: Host `<bucket>.s3.localhost`.
  serviceEndpoint: 'localhost',
  configureBuckets: process.argv.slice(2).map((name) => ({ name })),
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close().catch(() => undefined);
  fs.rmSync(directory, { recursive: true, force: true });
  process.exit(0);
};

server.run().then(
  ({ port }) => process.stdout.write(`${JSON.stringify({ port })}\n`),
  (err) => {
    process.stderr.write(`s3rver: ${err.message}\n`);
    fs.rmSync(directory, { recursive: true, force: true });
    process.exit(1);
  },
);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
