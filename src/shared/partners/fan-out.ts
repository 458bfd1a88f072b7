import type { Queue } from 'bullmq';
import type { Prisma } from '../../generated/prisma/client';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { componentLogger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { PeriodicTask } from '../platform/periodic-task';
import { deliveryJobId, type DeliveryJobData } from './delivery-queue';
import { ORDER_RESULT_INCLUDE, orderResult } from './order-result';

const log = componentLogger('webhook-fanout');

/** The body of every webhook: Standard Webhooks' recommended shape, the read API's order as `data`. */
export interface WebhookBody {
  type: string;
  timestamp: string;
  data: ReturnType<typeof orderResult>;
}

/**
 * Two steps, each safe in any number of replicas:
 *
 * 1. Fan-out: events not yet fanned out (oldest first) get their body fixed (the order's read-API
 *    shape without personal data, as it stands now) and one delivery per enabled endpoint that
 *    covers the order's app and wants the type. One replica at a time (a transaction-scoped
 *    advisory lock), so one order's deliveries always exist in event order.
 * 2. Relay: deliveries not yet in Redis (their outbox mark) are enqueued, then unmarked. A job id
 *    per delivery and replay makes a repeated add a no-op.
 */
export class WebhookFanOut {
  private readonly loop: PeriodicTask;
  private failing = false;

  constructor(
    private readonly db: Db,
    private readonly cfg: Config,
    private readonly queue: Queue<DeliveryJobData>,
    private readonly opts: { intervalMs: number; batch?: number },
    private readonly metrics?: Metrics,
  ) {
    this.loop = new PeriodicTask('webhook fan-out', () => this.runOnce(), opts.intervalMs, opts.intervalMs);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass of both steps; returns how many events were fanned out and deliveries enqueued. */
  async runOnce(): Promise<{ events: number; enqueued: number }> {
    let events = 0;
    // A backlog (after an outage) drains a batch at a time within one pass.
    for (;;) {
      const n = await this.fanOutBatch();
      events += n;
      if (n < (this.opts.batch ?? 200)) break;
    }
    const enqueued = await this.relay();
    if (this.metrics) {
      const [unfanned, unqueued] = await Promise.all([
        this.db.webhookEvent.count({
          where: { fannedOutAt: null, order: { appId: { in: this.cfg.apps.map((a) => a.appId) } } },
        }),
        this.db.webhookDelivery.count({ where: { enqueuePending: true } }),
      ]);
      this.metrics.webhookBacklog.set({ kind: 'events' }, unfanned);
      this.metrics.webhookBacklog.set({ kind: 'deliveries' }, unqueued);
    }
    return { events, enqueued };
  }

  private async fanOutBatch(): Promise<number> {
    const ours = this.cfg.apps.map((a) => a.appId);
    return this.db.$transaction(
      async (tx) => {
        const [lock] = await tx.$queryRaw<
          { ok: boolean }[]
        >`SELECT pg_try_advisory_xact_lock(hashtext('webhook-fanout')) AS ok`;
        if (!lock?.ok) return 0;
        // Only this deployment's apps: another deployment sharing the database fans out its own.
        const events = await tx.$queryRaw<
          { id: string; order_id: string; type: string; seq: bigint; created_at: Date }[]
        >`
          SELECT e.id, e.order_id, e.type, e.seq, e.created_at FROM webhook_events e
          JOIN orders o ON o.id = e.order_id
          WHERE e.fanned_out_at IS NULL AND o.app_id = ANY(${ours}::text[])
          ORDER BY e.seq LIMIT ${this.opts.batch ?? 200}`;
        if (events.length === 0) return 0;
        const endpoints = await tx.webhookEndpoint.findMany({
          where: { disabledAt: null },
          select: { id: true, appId: true, events: true },
        });
        const orders = new Map(
          (
            await tx.order.findMany({
              where: { id: { in: [...new Set(events.map((e) => e.order_id))] } },
              include: ORDER_RESULT_INCLUDE,
            })
          ).map((o) => [o.id, o]),
        );
        const deliveries: Prisma.WebhookDeliveryCreateManyInput[] = [];
        for (const e of events) {
          const order = orders.get(e.order_id);
          if (!order) continue;
          const body: WebhookBody = {
            type: e.type,
            timestamp: e.created_at.toISOString(),
            data: orderResult(this.cfg, order),
          };
          await tx.webhookEvent.update({
            where: { id: e.id },
            data: { payload: body as unknown as Prisma.InputJsonValue, fannedOutAt: new Date() },
          });
          for (const ep of endpoints) {
            if (ep.appId !== null && ep.appId !== order.appId) continue;
            if (ep.events.length > 0 && !ep.events.includes(e.type)) continue;
            deliveries.push({ eventId: e.id, endpointId: ep.id, orderId: order.id, seq: e.seq });
          }
        }
        if (deliveries.length) await tx.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true });
        return events.length;
      },
      { timeout: 30_000 },
    );
  }

  /** Enqueues deliveries whose jobs may not be in Redis yet, oldest first. */
  async relay(): Promise<number> {
    const pending = await this.db.webhookDelivery.findMany({
      where: { enqueuePending: true },
      select: { id: true, replays: true, updatedAt: true },
      orderBy: { id: 'asc' },
      take: this.opts.batch ?? 200,
    });
    if (pending.length === 0) return 0;
    try {
      await this.queue.addBulk(
        pending.map((d) => ({
          name: 'deliver',
          data: { deliveryId: d.id.toString() },
          opts: { jobId: deliveryJobId(d.id, d.replays) },
        })),
      );
    } catch (err) {
      if (!this.failing)
        log.warn('webhook relay cannot reach Redis; will retry', {
          error: (err as Error).message,
          backlog: pending.length,
        });
      this.failing = true;
      return 0;
    }
    this.failing = false;
    // Only rows unchanged since read: a replay meanwhile keeps its mark for the next pass.
    for (const d of pending)
      await this.db.webhookDelivery.updateMany({
        where: { id: d.id, replays: d.replays, enqueuePending: true },
        data: { enqueuePending: false },
      });
    return pending.length;
  }
}
