// Mutation testing (StrykerJS, jest runner) of the security- and integrity-critical modules:
// `npm run test:mutation` (all of them) or `npm run test:mutation -- --mutate <file>` (one).
// Scores per module are kept in docs/testing.md. Mutants are never excluded to lift a score:
// a surviving mutant means a behaviour no test pins down, and the answer is a test.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { configFile: 'test/mutation/jest.config.js', enableFindRelatedTests: false },
  coverageAnalysis: 'perTest',
  checkers: [],
  mutate: [
    'src/shared/webank/signature.ts',
    'src/shared/webank/start-signature.ts',
    'src/web/callback-params.ts',
    'src/shared/webank/tickets/ticket-store.ts',
    'src/shared/webank/strict-base64-decoder.ts',
    'src/shared/evidence/keys.ts',
    'src/shared/platform/logger.ts',
    'src/shared/compliance/export-package.ts',
    'src/shared/webank/result-fields.ts',
  ],
  concurrency: 2,
  timeoutMS: 20000,
  timeoutFactor: 2,
  thresholds: { high: 90, low: 85, break: 85 },
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['bench/results', 'reports', 'test-artifacts', 'dist', '.stryker-tmp'],
};
