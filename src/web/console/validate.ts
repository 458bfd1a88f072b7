import type { z } from 'zod';
import { badRequest } from '../../shared/platform/errors';

/**
 * Parses request input; on failure a 400 naming each bad field and what is expected. The
 * rejected values are never echoed back (they may be personal data or secrets).
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what = 'request'): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  throw badRequest(`invalid ${what}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
}
