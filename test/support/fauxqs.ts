// The emulator launcher lives in src/dev so the demo can use it too.
export { startFauxqs, type FauxqsS3 } from '../../src/dev/fauxqs';
