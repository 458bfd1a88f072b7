/**
 * The WeBank simulator in its own process (as in a deployment rehearsal): apps from SIM_APPS
 * (JSON), scans created by the bench through the control API.
 */
import { startSimulator, type SimulatorApp } from '../../src/simulator';
import { onStop, run, send } from './ipc';

run(async () => {
  const apps = JSON.parse(process.env.SIM_APPS ?? '[]') as SimulatorApp[];
  const sim = await startSimulator({ apps, ticketPeriodMs: 6 * 3600_000, accessTokenTtlMs: 12 * 3600_000 });
  onStop(() => sim.close());
  send({ type: 'ready', url: sim.url });
});
