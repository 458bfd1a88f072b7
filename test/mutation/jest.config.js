/**
 * The tests StrykerJS runs against each mutant: the unit tests and the focused tests beside this
 * file (which use the real PostgreSQL where the module under test does). The integration suites
 * are left out on purpose: each mutant would start fauxqs and the simulator again, and a score
 * should come from tests that pin the module's own behaviour down.
 */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test'],
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/mutation/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', 'architecture\\.test\\.ts$', 'lifecycle\\.test\\.ts$'],
  maxWorkers: 1,
};
