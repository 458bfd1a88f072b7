import { processIo } from './io';
import { runCli } from './program';

// `npm run cli -- <command>`; see docs/console.md for the commands and exit codes.
runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  },
);
