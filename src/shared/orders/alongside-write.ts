import type { Prisma } from '../../generated/prisma/client';

/**
 * A row another concern writes in the same transaction as an order change (the audit entry of a
 * staff re-queue or a retention purge), so both are recorded or neither. The orders concern does
 * not know what it is: the caller builds it on the client it is handed, from what the write tells it.
 */
export type AlongsideWrite<Args extends unknown[] = []> = (
  tx: Prisma.TransactionClient,
  ...args: Args
) => Prisma.PrismaPromise<unknown>;
