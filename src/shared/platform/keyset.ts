import { badRequest } from './errors';

/**
 * Keyset pagination over (timestamp desc, id desc): a page is "rows strictly before the last one
 * shown". Written as `t <= T AND (t < T OR id < I)` so PostgreSQL can use the leading `t <= T`
 * as an index condition (the plain OR form made it scan the whole index: 2.2 s vs 0.35 ms on a
 * million orders).
 */
export interface Cursor {
  at: Date;
  id: string;
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const at = new Date(iso ?? '');
  if (!id || Number.isNaN(at.getTime()) || !/^[0-9a-f-]{1,40}$/i.test(id)) throw badRequest('invalid cursor');
  return { at, id };
}

/** The where-clause for "after this cursor" on a table ordered by `[field desc, id desc]`. */
export function keysetAfter<Id>(field: string, c: Cursor, id: (v: string) => Id): Record<string, unknown> {
  return { [field]: { lte: c.at }, OR: [{ [field]: { lt: c.at } }, { id: { lt: id(c.id) } }] };
}

/** The where-clause for "before this cursor" (the previous page): query it ascending, then reverse. */
export function keysetBefore<Id>(field: string, c: Cursor, id: (v: string) => Id): Record<string, unknown> {
  return { [field]: { gte: c.at }, OR: [{ [field]: { gt: c.at } }, { id: { gt: id(c.id) } }] };
}
