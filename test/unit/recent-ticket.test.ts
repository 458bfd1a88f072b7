import { RecentTicket } from '../../src/workers/archive-evidence';

/** A ticket source that hands out a new value per read and records refreshes. */
function source() {
  let n = 0;
  const refreshes: string[] = [];
  return {
    reads: () => n,
    refreshes,
    currentTicket: async (appId: string) => `${appId}-t${++n}`,
    refreshNow: async (appId: string, reason: string) => {
      refreshes.push(`${appId}: ${reason}`);
    },
  };
}

describe('RecentTicket (the archiver reads the current ticket at most once a second per app)', () => {
  test('when queries follow each other within the second, then the keeper is asked once per app', async () => {
    const s = source();
    const t = new RecentTicket(s, 1000);
    expect(await t.currentTicket('A')).toBe('A-t1');
    expect(await t.currentTicket('A')).toBe('A-t1');
    expect(await t.currentTicket('B')).toBe('B-t2');
    expect(s.reads()).toBe(2);
  });

  test('when the second has passed, then the ticket is read again', async () => {
    const s = source();
    const t = new RecentTicket(s, 20);
    expect(await t.currentTicket('A')).toBe('A-t1');
    await new Promise((r) => setTimeout(r, 30));
    expect(await t.currentTicket('A')).toBe('A-t2');
  });

  test('when WeBank refused the ticket and a refresh ran, then the next query reads the refreshed ticket', async () => {
    const s = source();
    const t = new RecentTicket(s, 60_000);
    expect(await t.currentTicket('A')).toBe('A-t1');
    await t.refreshNow('A', 'signature rejected');
    expect(s.refreshes).toEqual(['A: signature rejected']);
    expect(await t.currentTicket('A')).toBe('A-t2');
  });
});
