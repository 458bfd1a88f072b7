import { z } from 'zod';
import type { WebhookEndpoint } from '../../generated/prisma/client';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { badRequest, notFound } from '../platform/errors';
import { PARTNER_EVENT_TYPES } from '../orders/partner-events';
import { auditData, type AuditContext } from '../compliance/audit';
import { checkEndpointUrl } from './url-guard';
import { newWebhookSecret, openSecret, sealSecret } from './webhook-secret';

/**
 * Partner webhook endpoints: added, listed, disabled, enabled and their secrets rotated by staff
 * (CLI or console), each change with its audit row in the same transaction. Secrets are shown once.
 */
export type EndpointInfo = Omit<WebhookEndpoint, 'secretSealed' | 'previousSecretSealed'>;

const omitSecrets = {
  secretSealed: false,
  previousSecretSealed: false,
} as const;

export interface AddEndpointInput {
  url: string;
  appKey?: string | null;
  description?: string;
  events?: readonly string[];
  allowPrivate?: boolean;
  concurrency?: number;
  ratePerSecond?: number;
}

const addSchema = z.object({
  url: z.string().min(1).max(2000),
  appKey: z.string().nullish(),
  description: z
    .string()
    .max(200)
    .regex(/^[^\u0000-\u001f]*$/, 'no control characters')
    .default(''),
  events: z.array(z.enum(PARTNER_EVENT_TYPES)).default([]),
  allowPrivate: z.boolean().default(false),
  concurrency: z.number().int().min(1).max(50).default(4),
  ratePerSecond: z.number().int().min(1).max(1000).default(10),
});

/** https:// everywhere but in development and tests, where receivers run on plain localhost. */
export const requireHttps = (cfg: Pick<Config, 'NODE_ENV'>) => cfg.NODE_ENV === 'production';

export async function addEndpoint(
  db: Db,
  cfg: Config,
  input: AddEndpointInput,
  ctx: AuditContext,
): Promise<{ endpoint: EndpointInfo; secret: string }> {
  const v = addSchema.parse(input);
  const app = v.appKey ? cfg.apps.find((a) => a.key === v.appKey) : undefined;
  if (v.appKey && !app) throw badRequest(`unknown app key; configured: ${cfg.apps.map((a) => a.key).join(', ')}`);
  const url = await checkEndpointUrl(v.url, { allowPrivate: v.allowPrivate, requireHttps: requireHttps(cfg) });
  const secret = newWebhookSecret();
  const [endpoint] = await db.$transaction([
    db.webhookEndpoint.create({
      data: {
        url: url.toString(),
        appKey: v.appKey ?? null,
        appId: app?.appId ?? null,
        description: v.description,
        events: v.events,
        allowPrivate: v.allowPrivate,
        concurrency: v.concurrency,
        ratePerSecond: v.ratePerSecond,
        secretSealed: sealSecret(secret, cfg.DATA_ENCRYPTION_KEY),
      },
      omit: omitSecrets,
    }),
    db.auditEntry.create({
      data: auditData({
        ...ctx,
        action: 'webhook.add',
        outcome: 'success',
        target: `webhook:${url.origin}${url.pathname}`.slice(0, 500),
        detail: { appKey: v.appKey ?? null, events: v.events, allowPrivate: v.allowPrivate },
      }),
      select: { id: true },
    }),
  ]);
  return { endpoint, secret };
}

export function listEndpoints(db: Db): Promise<EndpointInfo[]> {
  return db.webhookEndpoint.findMany({ omit: omitSecrets, orderBy: { createdAt: 'asc' } });
}

export async function getEndpoint(db: Db, id: string): Promise<EndpointInfo> {
  if (!z.uuid().safeParse(id).success) throw badRequest('endpoint id must be a UUID');
  const e = await db.webhookEndpoint.findUnique({ where: { id }, omit: omitSecrets });
  if (!e) throw notFound('no such webhook endpoint');
  return e;
}

/**
 * Disables an endpoint (staff, a 410 answer, or too many failures in a row); idempotent. Its
 * pending deliveries become `disabled` with it (their jobs end without sending) and wait for
 * `enableEndpoint`, which makes them pending again.
 */
export async function disableEndpoint(
  db: Db,
  id: string,
  reason: string,
  ctx: AuditContext,
  action: 'webhook.disable' | 'webhook.auto_disable' = 'webhook.disable',
): Promise<EndpointInfo> {
  const e = await getEndpoint(db, id);
  if (e.disabledAt) {
    // Already disabled (by a parallel job's 410, say): what is still pending waits all the same.
    await db.webhookDelivery.updateMany({
      where: { endpointId: id, status: 'pending' },
      data: { status: 'disabled', nextAttemptAt: null },
    });
    return e;
  }
  const [updated] = await db.$transaction([
    db.webhookEndpoint.update({
      where: { id },
      data: { disabledAt: new Date(), disabledReason: reason.slice(0, 300) },
      omit: omitSecrets,
    }),
    db.webhookDelivery.updateMany({
      where: { endpointId: id, status: 'pending' },
      data: { status: 'disabled', nextAttemptAt: null },
    }),
    db.auditEntry.create({
      data: auditData({ ...ctx, action, outcome: 'success', target: `webhook:${id}`, detail: { reason } }),
      select: { id: true },
    }),
  ]);
  return updated;
}

/**
 * Enables an endpoint again: its failure run starts over, and the deliveries that waited while it
 * was disabled are pending again (each with a new job), oldest first, so nothing is lost.
 */
export async function enableEndpoint(db: Db, id: string, ctx: AuditContext): Promise<EndpointInfo> {
  await getEndpoint(db, id);
  const [updated, requeued] = await db.$transaction([
    db.webhookEndpoint.update({
      where: { id },
      data: { disabledAt: null, disabledReason: null, failureRun: 0 },
      omit: omitSecrets,
    }),
    db.webhookDelivery.updateMany({
      where: { endpointId: id, status: 'disabled' },
      data: { status: 'pending', replays: { increment: 1 }, enqueuePending: true, nextAttemptAt: null },
    }),
  ]);
  await db.auditEntry.create({
    data: auditData({
      ...ctx,
      action: 'webhook.enable',
      outcome: 'success',
      target: `webhook:${id}`,
      detail: { requeued: requeued.count },
    }),
    select: { id: true },
  });
  return updated;
}

/**
 * A new secret; the previous one keeps signing (a second signature on every message) for
 * WEBHOOK_SECRET_OVERLAP_HOURS so the partner can switch without losing a message.
 */
export async function rotateSecret(
  db: Db,
  cfg: Config,
  id: string,
  ctx: AuditContext,
): Promise<{ endpoint: EndpointInfo; secret: string }> {
  await getEndpoint(db, id);
  const current = await db.webhookEndpoint.findUniqueOrThrow({ where: { id }, select: { secretSealed: true } });
  const secret = newWebhookSecret();
  const until = new Date(Date.now() + cfg.WEBHOOK_SECRET_OVERLAP_HOURS * 3600_000);
  const [endpoint] = await db.$transaction([
    db.webhookEndpoint.update({
      where: { id },
      data: {
        secretSealed: sealSecret(secret, cfg.DATA_ENCRYPTION_KEY),
        previousSecretSealed: current.secretSealed,
        previousSecretUntil: until,
      },
      omit: omitSecrets,
    }),
    db.auditEntry.create({
      data: auditData({
        ...ctx,
        action: 'webhook.rotate_secret',
        outcome: 'success',
        target: `webhook:${id}`,
        detail: { previousValidUntil: until.toISOString() },
      }),
      select: { id: true },
    }),
  ]);
  return { endpoint, secret };
}

/** The secrets that sign now: the current one, and the previous one while its overlap lasts. */
export function signingSecrets(
  cfg: Pick<Config, 'DATA_ENCRYPTION_KEY'>,
  e: Pick<WebhookEndpoint, 'secretSealed' | 'previousSecretSealed' | 'previousSecretUntil'>,
  now = new Date(),
): string[] {
  const secrets = [openSecret(e.secretSealed, cfg.DATA_ENCRYPTION_KEY)];
  if (e.previousSecretSealed && e.previousSecretUntil && e.previousSecretUntil > now)
    secrets.push(openSecret(e.previousSecretSealed, cfg.DATA_ENCRYPTION_KEY));
  return secrets;
}
