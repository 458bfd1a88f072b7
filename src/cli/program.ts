import { Command, CommanderError } from 'commander';
import { AppError } from '../shared/platform/errors';
import { auditCommands } from './commands/audit';
import { exportCommands } from './commands/export';
import { orderListCommands } from './commands/order-list';
import { orderCommands } from './commands/orders';
import { registerCommands } from './commands/register';
import { tokenCommands } from './commands/tokens';
import { userCommands } from './commands/users';
import { verificationCommands } from './commands/verifications';
import { webhookCommands } from './commands/webhooks';
import { CliError, EXIT, type CliIo } from './io';
import { CliServices } from './services';

function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof AppError)
    return err.status === 503 ? EXIT.unavailable : err.status < 500 ? EXIT.usage : EXIT.failed;
  const name = (err as Error)?.name ?? '';
  if (/ZodError/.test(name)) return EXIT.usage;
  if (/PrismaClientInitializationError|ECONNREFUSED/.test(`${name} ${(err as Error)?.message}`))
    return EXIT.unavailable;
  return EXIT.failed;
}

function messageOf(err: unknown): string {
  if (err instanceof CliError || err instanceof AppError) return err.message;
  const e = err as { name?: string; issues?: { path: unknown[]; message: string }[]; message?: string };
  if (e?.name === 'ZodError' && e.issues)
    return e.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
  if (e?.name?.startsWith('PrismaClient'))
    return 'the database is unavailable or refused the request (check DATABASE_URL)';
  return e?.message ?? String(err);
}

/**
 * Runs one CLI invocation and resolves to its exit code (never calls process.exit, so tests
 * run it in-process). Every command except `export check` and `export public-key` works on
 * the configured database and S3 and is audited as `cli:<os user>`.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const services = new CliServices(io);
  const program = new Command('faceid-archiver')
    .description('faceid-archiver staff CLI: accounts, tokens, evidence, export packages, re-queue')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError();
  const svc = () => services;
  userCommands(program, svc);
  tokenCommands(program, svc);
  orderCommands(program, svc);
  orderListCommands(program, svc);
  registerCommands(program, svc);
  exportCommands(program, svc);
  verificationCommands(program, svc);
  webhookCommands(program, svc);
  auditCommands(program, svc);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.err(`error: ${messageOf(err)}`);
    return exitCodeOf(err);
  } finally {
    await services.close();
  }
}
