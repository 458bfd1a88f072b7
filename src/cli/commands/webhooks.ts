import type { Command } from 'commander';
import { formatInstant, parseDayOrInstant } from '../../shared/platform/display-time';
import { deliveryLog } from '../../shared/partners/delivery-log';
import {
  addEndpoint,
  disableEndpoint,
  enableEndpoint,
  listEndpoints,
  rotateSecret,
} from '../../shared/partners/webhook-endpoints';
import { replay } from '../../shared/partners/replay';
import { CliError, EXIT } from '../io';
import type { CliServices } from '../services';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`not a positive integer: ${v}`, EXIT.usage);
  return n;
};

const instant = (v: string, end = false) => {
  const d = parseDayOrInstant(v, end);
  if (!d) throw new CliError(`expected YYYY-MM-DD or an ISO timestamp with zone: ${v}`, EXIT.usage);
  return d;
};

/** `webhook add|list|disable|enable|rotate-secret|replay|log`: partner webhook endpoints, audited. */
export function webhookCommands(program: Command, svc: () => CliServices): void {
  const webhook = program.command('webhook').description('partner webhook endpoints (docs/partners.md)');

  webhook
    .command('add <url>')
    .description('register an endpoint; its signing secret (whsec_…) is printed once on standard output')
    .option('--app <key>', 'only this configured app’s orders (default: every app)')
    .option('--events <types...>', 'only these event types (default: all)')
    .option('--description <text>', 'what it is for', '')
    .option('--allow-private', 'allow a private or loopback address (a receiver on our own network)')
    .option('--concurrency <n>', 'deliveries in flight to it at most', int, 4)
    .option('--rate <n>', 'deliveries a second to it at most', int, 10)
    .action(
      async (
        url: string,
        opts: {
          app?: string;
          events?: string[];
          description: string;
          allowPrivate?: boolean;
          concurrency: number;
          rate: number;
        },
      ) => {
        const s = svc();
        await s.audited('webhook.add', async (done) => {
          const { endpoint, secret } = await addEndpoint(
            s.db,
            s.cfg,
            {
              url,
              appKey: opts.app ?? null,
              events: opts.events,
              description: opts.description,
              allowPrivate: !!opts.allowPrivate,
              concurrency: opts.concurrency,
              ratePerSecond: opts.rate,
            },
            s.actor,
          );
          done();
          s.io.err(
            `added webhook endpoint ${endpoint.id} → ${endpoint.url}; store its secret now, it is not shown again:`,
          );
          s.io.out(secret);
        });
      },
    );

  webhook
    .command('list')
    .description('list endpoints (never their secrets)')
    .action(async () => {
      const s = svc();
      await s.audited('webhook.list', async (done) => {
        const endpoints = await listEndpoints(s.db);
        await s.audit({ action: 'webhook.list', outcome: 'success', detail: { endpoints: endpoints.length } });
        done();
        for (const e of endpoints)
          s.io.out(
            [
              e.id,
              e.disabledAt ? `disabled (${e.disabledReason ?? ''})` : 'enabled',
              e.appKey ?? 'all-apps',
              e.events.length ? e.events.join(',') : 'all-events',
              e.url,
            ].join('\t'),
          );
      });
    });

  webhook
    .command('disable <id>')
    .description('stop delivering to an endpoint; its pending deliveries wait until it is enabled')
    .option('--reason <text>', 'why', 'disabled by staff')
    .action(async (id: string, opts: { reason: string }) => {
      const s = svc();
      await s.audited('webhook.disable', async (done) => {
        const e = await disableEndpoint(s.db, id, opts.reason, s.actor);
        done();
        s.io.out(`disabled webhook endpoint ${e.id}`);
      });
    });

  webhook
    .command('enable <id>')
    .description('deliver to an endpoint again, starting with what waited while it was disabled')
    .action(async (id: string) => {
      const s = svc();
      await s.audited('webhook.enable', async (done) => {
        const e = await enableEndpoint(s.db, id, s.actor);
        done();
        s.io.out(`enabled webhook endpoint ${e.id}`);
      });
    });

  webhook
    .command('rotate-secret <id>')
    .description('a new secret, printed once; the previous one also signs for WEBHOOK_SECRET_OVERLAP_HOURS')
    .action(async (id: string) => {
      const s = svc();
      await s.audited('webhook.rotate_secret', async (done) => {
        const { endpoint, secret } = await rotateSecret(s.db, s.cfg, id, s.actor);
        done();
        s.io.err(
          `rotated the secret of ${endpoint.id}; the previous one stays valid until ${formatInstant(endpoint.previousSecretUntil)}. New secret:`,
        );
        s.io.out(secret);
      });
    });

  webhook
    .command('replay <id>')
    .description('send one event (--event) or every event of a time range (--from, --to) to an endpoint again')
    .option('--event <eventId>', 'the webhook-id (evt_…)')
    .option('--from <when>', 'range start: YYYY-MM-DD (UTC+8) or ISO timestamp')
    .option('--to <when>', 'range end (a day is inclusive)')
    .action(async (id: string, opts: { event?: string; from?: string; to?: string }) => {
      const s = svc();
      if (!opts.event && !(opts.from && opts.to))
        throw new CliError('replay needs --event <id>, or --from and --to', EXIT.usage);
      await s.audited('webhook.replay', async (done) => {
        const n = await replay(
          s.db,
          {
            endpointId: id,
            eventId: opts.event,
            from: opts.from ? instant(opts.from) : undefined,
            to: opts.to ? instant(opts.to, true) : undefined,
          },
          s.actor,
        );
        done();
        s.io.out(`${n} deliveries queued again`);
      });
    });

  webhook
    .command('log <id>')
    .description("an endpoint's deliveries, newest first: status, attempts, last answer, latency, next retry")
    .option('--status <status>', 'pending | delivered | failed | disabled')
    .option('--limit <n>', 'rows', int, 50)
    .action(async (id: string, opts: { status?: string; limit: number }) => {
      const s = svc();
      await s.audited('webhook.list', async (done) => {
        const { rows } = await deliveryLog(s.db, id, { status: opts.status, limit: opts.limit });
        await s.audit({
          action: 'webhook.list',
          outcome: 'success',
          target: `webhook:${id}`,
          detail: { log: rows.length },
        });
        done();
        for (const r of rows)
          s.io.out(
            [
              formatInstant(r.createdAt),
              r.eventId,
              r.type,
              r.orderNo,
              r.status,
              `attempts=${r.attempts}`,
              `last=${r.lastStatus ?? r.lastError ?? '-'}`,
              `latency=${r.lastLatencyMs ?? '-'}ms`,
              `next=${r.nextAttemptAt ? formatInstant(r.nextAttemptAt) : '-'}`,
            ].join('\t'),
          );
      });
    });
}
