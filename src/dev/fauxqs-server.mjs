// Runs fauxqs (ESM-only) in a child process for src/dev/fauxqs.ts (via s3-emulator.ts): Jest's
// CommonJS runtime cannot import it, and keeping the emulator's in-memory objects out of the test
// process keeps memory measurements honest. Prints {"port":N} once listening; exits when stdin
// closes, so an emulator never outlives the test process that started it.
import { startFauxqs } from 'fauxqs';

const buckets = process.argv.slice(2);
const server = await startFauxqs({ port: 0, logger: false, init: { buckets } });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => undefined);
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
