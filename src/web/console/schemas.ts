import { z } from 'zod';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../../shared/compliance/audit';
import { passwordSchema, roleSchema, usernameSchema } from '../../shared/compliance/staff/accounts';
import { dayOrInstant } from '../../shared/platform/display-time';
import { orderNoSchema } from '../../shared/compliance/order-lookup';
import { tokenNameSchema } from '../../shared/compliance/staff/api-tokens';

const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const opt = <T extends z.ZodType>(s: T) => z.preprocess(emptyToUndefined, s.optional());

export const auditSearchSchema = z
  .object({
    actor: opt(z.string().trim().max(200)),
    action: opt(z.enum(AUDIT_ACTIONS)),
    outcome: opt(z.enum(AUDIT_OUTCOMES)),
    orderNo: opt(orderNoSchema),
    from: opt(dayOrInstant(false)),
    to: opt(dayOrInstant(true)),
    cursor: opt(z.string().max(200)),
    limit: opt(z.coerce.number().int().min(1).max(500)),
  })
  .refine((f) => !f.from || !f.to || f.from < f.to, { message: '`from` must be before `to`', path: ['from'] });

export const createUserSchema = z
  .object({
    username: usernameSchema,
    role: roleSchema,
    password: passwordSchema,
    /** The app keys the account may see; omitted or empty = every app. */
    apps: z.array(z.string().max(32)).max(100).optional(),
  })
  .strict();

export const createTokenSchema = z
  .object({
    kind: z.enum(['staff', 'partner']),
    name: tokenNameSchema,
    /** Staff tokens: the user they act as, which must be the caller (omitted = the caller). */
    username: opt(usernameSchema),
    /** Staff tokens: lifetime in days (default STAFF_TOKEN_DAYS, at most STAFF_TOKEN_MAX_DAYS). */
    expiresInDays: opt(z.coerce.number().int().min(1)),
    /** Partner tokens: the app key they are restricted to; omitted = every app. */
    appKey: opt(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'an app key')),
  })
  .strict()
  .refine((t) => t.kind === 'staff' || !t.username, {
    message: 'a partner token cannot act as a staff user',
    path: ['username'],
  })
  .refine((t) => t.kind === 'staff' || t.expiresInDays === undefined, {
    message: 'expiresInDays applies to staff tokens only',
    path: ['expiresInDays'],
  })
  .refine((t) => t.kind === 'partner' || !t.appKey, {
    message: 'appKey applies to partner tokens only',
    path: ['appKey'],
  });

export const loginSchema = z.object({ username: z.string().max(200), password: z.string().max(1024) });

export const evidenceKindSchema = z.string().regex(/^[a-z_]{1,32}$/, 'an evidence kind');
