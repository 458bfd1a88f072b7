import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric the service exports, on one registry per process.
 * Labels are bounded enums (verdict, outcome, product, code): never order numbers or personal data.
 */
export function createMetrics(opts: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    callbackTotal: new Counter({
      name: 'faceid_callbacks_total',
      help: 'Callbacks by verdict',
      labelNames: ['verdict'],
      registers: r,
    }),
    callbackSeconds: new Histogram({
      name: 'faceid_callback_duration_seconds',
      help: 'Callback handling time',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: r,
    }),
    outboxBacklog: new Gauge({ name: 'faceid_outbox_backlog', help: 'Orders waiting to be enqueued', registers: r }),
    outboxRelayed: new Counter({
      name: 'faceid_outbox_relayed_total',
      help: 'Orders enqueued by the outbox relay',
      registers: r,
    }),
    jobsTotal: new Counter({
      name: 'faceid_archive_jobs_total',
      help: 'Archive jobs by outcome',
      labelNames: ['product', 'outcome'],
      registers: r,
    }),
    jobsByState: new Gauge({
      name: 'faceid_archive_queue_jobs',
      help: 'Archive queue jobs by state',
      labelNames: ['state'],
      registers: r,
    }),
    webankSeconds: new Histogram({
      name: 'faceid_webank_request_duration_seconds',
      help: 'WeBank call latency',
      labelNames: ['endpoint'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    }),
    webankErrors: new Counter({
      name: 'faceid_webank_errors_total',
      help: 'WeBank errors by endpoint and code',
      labelNames: ['endpoint', 'code'],
      registers: r,
    }),
    pollAttempts: new Counter({
      name: 'faceid_archive_poll_attempts_total',
      help: 'Extra polls for late files',
      registers: r,
    }),
    bytesArchived: new Counter({
      name: 'faceid_archived_bytes_total',
      help: 'Evidence bytes stored',
      labelNames: ['kind'],
      registers: r,
    }),
    evidenceMissing: new Counter({
      name: 'faceid_evidence_missing_total',
      help: 'Orders whose files never came',
      registers: r,
    }),
    ticketAgeSeconds: new Gauge({
      name: 'faceid_ticket_age_seconds',
      help: 'Age of the current SIGN ticket',
      labelNames: ['app'],
      registers: r,
    }),
    ticketRefreshFailures: new Counter({
      name: 'faceid_ticket_refresh_failures_total',
      help: 'Failed ticket refreshes',
      labelNames: ['app'],
      registers: r,
    }),
    ticketValid: new Gauge({
      name: 'faceid_ticket_valid',
      help: '1 when a valid SIGN ticket is held for the app, else 0',
      labelNames: ['app'],
      registers: r,
    }),
    credentialConflicts: new Gauge({
      name: 'faceid_credential_conflicts_last_hour',
      help: 'Refreshes of ours whose fresh credentials WeBank refused in the last hour (another system refreshing the WBappid)',
      labelNames: ['app'],
      registers: r,
    }),
    credentialConflictSuspected: new Gauge({
      name: 'faceid_credential_conflict_suspected',
      help: '1 when credential conflicts in the last hour exceed CREDENTIAL_CONFLICT_MAX_PER_HOUR, else 0',
      labelNames: ['app'],
      registers: r,
    }),
    ordersByState: new Gauge({
      name: 'faceid_orders',
      help: 'Orders by status (reconciler sample)',
      labelNames: ['status'],
      registers: r,
    }),
    recoveryOrders: new Gauge({
      name: 'faceid_registered_orders',
      help: 'Registered orders by recovery state',
      labelNames: ['state'],
      registers: r,
    }),
    reconcilerActions: new Counter({
      name: 'faceid_reconciler_actions_total',
      help: 'Reconciler actions',
      labelNames: ['action'],
      registers: r,
    }),
    retentionOrders: new Counter({
      name: 'faceid_retention_orders_total',
      help: 'Orders seen by the retention purge, by outcome (purged, skipped_locked, failed)',
      labelNames: ['outcome'],
      registers: r,
    }),
    integrityChecks: new Counter({
      name: 'faceid_integrity_checks_total',
      help: 'Whole-object integrity checks by the scrubber, by result (ok, mismatch, size, missing, error)',
      labelNames: ['result'],
      registers: r,
    }),
    integrityFailedObjects: new Gauge({
      name: 'faceid_integrity_failed_objects',
      help: 'Evidence objects currently marked as failing their integrity check (scrubber sample)',
      registers: r,
    }),
    retentionObjectsDeleted: new Counter({
      name: 'faceid_retention_objects_deleted_total',
      help: 'Evidence objects deleted by the retention purge',
      registers: r,
    }),
    webhookAttempts: new Counter({
      name: 'faceid_webhook_attempts_total',
      help: 'Partner webhook attempts by result (delivered, failed, gone, gave_up, disabled)',
      labelNames: ['result'],
      registers: r,
    }),
    webhookSeconds: new Histogram({
      name: 'faceid_webhook_attempt_seconds',
      help: 'Partner webhook attempt latency',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    }),
    webhookBacklog: new Gauge({
      name: 'faceid_webhook_backlog',
      help: 'Partner events not yet fanned out, and deliveries not yet in Redis (fan-out sample)',
      labelNames: ['kind'],
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
