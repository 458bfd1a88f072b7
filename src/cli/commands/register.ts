import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { appByKey } from '../../shared/platform/config';
import { registerExpectedOrder } from '../../shared/orders/registration';
import { CliError, EXIT } from '../io';
import type { CliServices } from '../services';

const ORDER_NO = /^[A-Za-z0-9]{1,32}$/;
const USER_REF = /^[A-Za-z0-9_.:-]{1,64}$/;

interface Line {
  line: number;
  orderNo: string;
  userRef?: string;
  startedAt?: Date;
}

/** `orderNo[,userRef[,startedAt]]` per line; blank lines and `#` comments skipped. */
function parseRegistrations(text: string): { rows: Line[]; invalid: { line: number; reason: string }[] } {
  const rows: Line[] = [];
  const invalid: { line: number; reason: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const [orderNo = '', userRef, startedAt, ...rest] = trimmed.split(',').map((p) => p.trim());
    if (rest.length) return void invalid.push({ line, reason: 'more than 3 fields' });
    if (!ORDER_NO.test(orderNo)) return void invalid.push({ line, reason: 'orderNo must be 1–32 letters or digits' });
    if (userRef && !USER_REF.test(userRef))
      return void invalid.push({ line, reason: 'userRef must be 1–64 of A-Z a-z 0-9 _ . : -' });
    const started = startedAt ? new Date(startedAt) : undefined;
    if (started && Number.isNaN(started.getTime()))
      return void invalid.push({ line, reason: 'startedAt is not a date' });
    rows.push({ line, orderNo, userRef: userRef || undefined, startedAt: started });
  });
  return { rows, invalid };
}

/**
 * The CLI twin of `POST /api/orders`: registers a batch of expected orders from a file, so the
 * recovery sweeper can find results whose browser never comes back. Idempotent per order.
 */
export function registerCommands(program: Command, svc: () => CliServices): void {
  program
    .command('orders')
    .description('orders the partner started')
    .command('register <file>')
    .description('register expected orders from a file: one "orderNo[,userRef[,startedAt ISO]]" per line')
    .option('--app <key>', 'the configured app key', 'default')
    .action(async (file: string, opts: { app: string }) => {
      const s = svc();
      await s.audited('register', async (done) => {
        const app = appByKey(s.cfg, opts.app);
        if (!app)
          throw new CliError(
            `unknown app key ${opts.app}; configured: ${s.cfg.apps.map((a) => a.key).join(', ')}`,
            EXIT.usage,
          );
        const text = await readFile(file, 'utf8').catch((err: Error) => {
          throw new CliError(`cannot read ${file}: ${err.message}`, EXIT.usage);
        });
        const { rows, invalid } = parseRegistrations(text);
        let created = 0;
        for (const r of rows) {
          if ((await registerExpectedOrder(s.db, s.cfg, app, r)).created) created++;
        }
        for (const bad of invalid) s.io.err(`line ${bad.line}: ${bad.reason}`);
        s.io.out(
          `registered ${created}, already known ${rows.length - created}, invalid ${invalid.length} (app ${app.key})`,
        );
        await s.audit({
          action: 'register',
          outcome: invalid.length ? 'failure' : 'success',
          target: `app:${app.key}`,
          detail: { created, known: rows.length - created, invalid: invalid.length },
        });
        done();
        if (invalid.length) throw new CliError(`${invalid.length} line(s) were not registered`, EXIT.failed);
      });
    });
}
