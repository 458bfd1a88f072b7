/**
 * The baseline: a bare Express 5 app with one "hello" route, in the same kind of child process
 * as the service target, measured with the same load settings.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { onStop, run, send } from './ipc';

run(async () => {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.send('hello');
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  onStop(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
