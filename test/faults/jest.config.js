/**
 * `npm run test:faults`: the full fault suite (500 valid + 100 forged callbacks). Same transform,
 * module mapping and global setup (migrations) as the main config; one file, in band, with the
 * `full` profile unless FAULT_PROFILE says otherwise. `npm test` runs the same file with the
 * bounded `ci` profile; `npm run test:faults:cluster` runs it on a 3-master Redis Cluster
 * (FAULT_REDIS=cluster). See docs/faults.md.
 */
const path = require('node:path');
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, '../..'),
  roots: ['<rootDir>/test/faults'],
  setupFiles: [...base.setupFiles, '<rootDir>/test/faults/full-profile.js'],
  testTimeout: 30 * 60_000,
  maxWorkers: 1,
};
