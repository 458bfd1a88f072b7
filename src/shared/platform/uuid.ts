import { z } from 'zod';
import { notFound } from './errors';

const uuid = z.uuid();

/** Order ids in URLs are UUIDs; anything else cannot name an order, so it is a 404, not a 500. */
export function orderIdParam(value: string | undefined): string {
  if (!value || !uuid.safeParse(value).success) throw notFound('no such order');
  return value.toLowerCase();
}
