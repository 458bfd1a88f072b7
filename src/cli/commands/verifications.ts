import type { Command } from 'commander';
import { formatInstant } from '../../shared/platform/display-time';
import { z } from 'zod';
import { appByKey } from '../../shared/platform/config';
import { startIdNo, startMode, startName, startUserId } from '../../shared/orders/start-input';
import { VerificationStarter } from '../../shared/orders/verification-start';
import { CliError, EXIT } from '../io';
import type { CliServices } from '../services';

const options = z.object({
  user: startUserId,
  name: startName.optional(),
  idNo: startIdNo.optional(),
  orderNo: z
    .string()
    .regex(/^[A-Za-z0-9]{1,32}$/, 'letters and digits, at most 32')
    .optional(),
  app: z.string(),
  mode: startMode.optional(),
});

/**
 * `verification start`: staff who send verification links themselves (by SMS, say) start one the
 * way `POST /api/verifications` does and get the WeBank URL on standard output. Audited; the name
 * and ID number go to WeBank and, sealed, onto the order, never into the audit row.
 */
export function verificationCommands(program: Command, svc: () => CliServices): void {
  program
    .command('verification')
    .description('verifications this service starts (it holds the WeBank credentials)')
    .command('start')
    .description('start an H5 verification and print its WeBank URL (valid once, for about two minutes)')
    .requiredOption('--user <id>', "the user's id at the partner: letters and digits, at most 32")
    .option('--name <name>', 'the name to verify against (with --id-no)')
    .option('--id-no <number>', 'the ID number to verify against (with --name); note: visible in the process list')
    .option('--order-no <no>', 'the order number (default: 32 random letters and digits)')
    .option('--app <key>', 'the configured app key', 'default')
    .option('--mode <mode>', 'auto (default) or realtime (real-time liveness only)')
    .action(async (raw: Record<string, string | undefined>) => {
      const s = svc();
      const parsed = options.safeParse(raw);
      if (!parsed.success)
        throw new CliError(
          parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '),
          EXIT.usage,
        );
      const o = parsed.data;
      await s.audited('verification.start', async (done) => {
        const app = appByKey(s.cfg, o.app);
        if (!app)
          throw new CliError(`unknown app key ${o.app}; configured: ${s.cfg.apps.map((a) => a.key).join(', ')}`);
        const started = await VerificationStarter.fromConfig(s.cfg, s.db).startH5(
          app,
          { userId: o.user, name: o.name, idNo: o.idNo, orderNo: o.orderNo, mode: o.mode },
          { via: 'cli', by: s.actor.actor },
        );
        const order = await s.db.order.findUniqueOrThrow({
          where: { appId_orderNo: { appId: app.appId, orderNo: started.orderNo } },
          select: { id: true, appId: true, orderNo: true },
        });
        await s.audit({
          action: 'verification.start',
          outcome: 'success',
          order,
          target: `app:${app.key}`,
          detail: { userRef: o.user, identity: o.idNo ? 'given' : 'none', expiresAt: started.expiresAt.toISOString() },
        });
        done();
        s.io.err(
          `order ${started.orderNo} (app ${app.key}); the URL works once, until ${formatInstant(started.expiresAt)}:`,
        );
        s.io.out(started.url);
      });
    });
}
