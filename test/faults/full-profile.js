// Setup file of test/faults/jest.config.js: the full profile unless the caller chose one.
process.env.FAULT_PROFILE ??= 'full';
