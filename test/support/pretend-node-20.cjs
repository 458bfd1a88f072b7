// Preloaded (node --require) by test/integration/ops/node-runtime.test.ts: the process reports
// Node.js 20 as its version, so the AWS SDK's check for an unsupported Node fires as it would on
// a machine still on 20. Nothing else in the process is changed.
Object.defineProperty(process, 'version', { value: 'v20.20.2' });
