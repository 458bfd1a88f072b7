import { startSimulator } from '../../src/simulator';
import { APP, fetchTicket, fetchToken, getJson, queryUrl, sleep } from './helpers';

const orderNo = 'order-ticket-1';

describe('simulator: ticket validity by elapsed time', () => {
  test('when tickets are rotated, then the previous one verifies within the grace period and not after', async () => {
    const sim = await startSimulator({ apps: [APP], ticketPeriodMs: 3_600_000, ticketGraceMs: 300 });
    try {
      sim.createScan({ appId: APP.appId, orderNo });
      const old = sim.currentTicket(APP.appId);
      sim.rotateTickets(APP.appId);
      const fresh = sim.currentTicket(APP.appId);
      expect(fresh).not.toBe(old);

      expect((await getJson(queryUrl(sim, { orderNo, ticket: old }))).code).toBe('0');
      expect(sim.requests({ path: '/api/server/sync' }).at(-1)?.ticket).toBe('previous');
      expect((await getJson(queryUrl(sim, { orderNo, ticket: fresh }))).code).toBe('0');
      expect(sim.requests({ path: '/api/server/sync' }).at(-1)?.ticket).toBe('current');

      await sleep(400);
      expect((await getJson(queryUrl(sim, { orderNo, ticket: old }))).code).toBe('400101');
      expect((await getJson(queryUrl(sim, { orderNo, ticket: fresh }))).code).toBe('0');
    } finally {
      await sim.close();
    }
  });

  test('when the rotation period elapses, then a new ticket is current and api_ticket hands it out', async () => {
    const sim = await startSimulator({ apps: [APP], ticketPeriodMs: 150, ticketGraceMs: 10_000 });
    try {
      const token = (await fetchToken(sim)).access_token as string;
      const first = (await fetchTicket(sim, token)).tickets[0].value as string;
      expect(first).toBe(sim.currentTicket(APP.appId));
      await sleep(200);
      const second = (await fetchTicket(sim, token)).tickets[0].value as string;
      expect(second).not.toBe(first);
      expect(sim.currentTicket(APP.appId)).toBe(second);
      sim.createScan({ appId: APP.appId, orderNo });
      expect((await getJson(queryUrl(sim, { orderNo, ticket: first }))).code).toBe('0');
    } finally {
      await sim.close();
    }
  });

  test('when the access_token expires, then api_ticket refuses it and its ticket no longer verifies', async () => {
    const sim = await startSimulator({ apps: [APP], accessTokenTtlMs: 300 });
    try {
      const token = await fetchToken(sim);
      expect(token.expire_in).toBe(1);
      const ticket = (await fetchTicket(sim, token.access_token)).tickets[0].value as string;
      sim.createScan({ appId: APP.appId, orderNo });
      expect((await getJson(queryUrl(sim, { orderNo, ticket }))).code).toBe('0');
      await sleep(350);
      expect((await fetchTicket(sim, token.access_token)).code).toBe('400103');
      expect((await getJson(queryUrl(sim, { orderNo, ticket }))).code).toBe('400101');
      const renewed = await fetchTicket(sim, (await fetchToken(sim)).access_token);
      expect(renewed.tickets[0].value).not.toBe(ticket);
    } finally {
      await sim.close();
    }
  });

  test('when tokenOverlapMs is set, then a new token leaves the old one only that long', async () => {
    const sim = await startSimulator({ apps: [APP], tokenOverlapMs: 100 });
    try {
      const old = (await fetchToken(sim)).access_token as string;
      await fetchToken(sim);
      expect((await fetchTicket(sim, old)).code).toBe('0');
      await sleep(150);
      expect((await fetchTicket(sim, old)).code).toBe('400103');
    } finally {
      await sim.close();
    }
  });

  test('when a token of one app asks for another app, then it is refused', async () => {
    const other = { appId: 'TIDAsim0009', secret: 'other' };
    const sim = await startSimulator({ apps: [APP, other] });
    try {
      const token = (await fetchToken(sim)).access_token as string;
      expect((await fetchTicket(sim, token, other)).code).toBe('400103');
      expect(sim.currentTicket(APP.appId)).not.toBe(sim.currentTicket(other.appId));
    } finally {
      await sim.close();
    }
  });
});
