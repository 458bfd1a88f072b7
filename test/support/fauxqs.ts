// The emulator launchers live in src/dev so the demo and the benchmarks can use them too.
export { startFauxqs, type FauxqsS3 } from '../../src/dev/fauxqs';
