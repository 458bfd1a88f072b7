import type { Command } from 'commander';
import { allMatchingOrders, orderSearchSchema } from '../../shared/compliance/order-search';
import { describeResultCode } from '../../shared/compliance/result-codes';
import { formatInstant } from '../../shared/platform/display-time';
import type { CliServices } from '../services';
import { cliLocale, cliT, printTable } from '../table';

/**
 * `order list`: the console's search from a terminal (same box, filters and outcome), a table
 * with headers in the staff's language and times in DISPLAY_TIMEZONE. Audited as a search.
 */
export function orderListCommands(program: Command, svc: () => CliServices): void {
  program
    .command('order')
    .description('find orders')
    .command('list')
    .description('list orders matching a search (newest first, at most --limit)')
    .option('--q <text>', 'order-number prefix (any case), user reference, bizSeqNo or h5faceId')
    .option('--app <key>', 'app key')
    .option('--status <status>', 'archive status')
    .option('--outcome <outcome>', 'passed, failed or none')
    .option('--range <range>', 'today, 7d or 30d')
    .option('--from <day>', 'YYYY-MM-DD (in DISPLAY_TIMEZONE) or an ISO instant')
    .option('--to <day>', 'YYYY-MM-DD (inclusive) or an ISO instant')
    .option('--limit <n>', 'at most this many rows', '50')
    .action(async (opts: Record<string, string | undefined>) => {
      const s = svc();
      const { limit, ...filters } = opts;
      const f = orderSearchSchema.parse(filters);
      await s.audited('search', async (done) => {
        const rows = await allMatchingOrders(s.db, s.cfg, f, s.scope, Math.min(Math.max(Number(limit) || 50, 1), 1000));
        await s.audit({ action: 'search', outcome: 'success', detail: { filters, results: rows.length, via: 'cli' } });
        done();
        const t = cliT(s.io);
        const en = cliLocale(s.io.env) === 'en';
        printTable(
          s.io,
          [
            'cli.orderNo',
            'cli.app',
            'cli.product',
            'cli.outcome',
            'cli.resultCode',
            'order.resultMeaning',
            'cli.status',
            'cli.recorded',
          ],
          rows.map((o) => {
            const info = describeResultCode(o.resultCode, o.product);
            return [
              o.orderNo,
              o.appKey,
              o.product,
              t(`outcome.${o.outcome}`),
              o.resultCode ?? '-',
              info ? (en ? info.en : info.zh) : '-',
              t(`status.${o.status}`),
              formatInstant(o.createdAt),
            ];
          }),
        );
      });
    });
}
