import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client';

export type Db = PrismaClient;

/** Creates a Prisma client over the pg driver adapter; each process holds one (see `db()`). */
export function createDb(databaseUrl: string, poolSize = 10): Db {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 5000,
    // A connection PostgreSQL drops (restart, failover, pg_terminate_backend) while it is checked
    // out but between queries emits 'error' on its client, and the adapter does not always listen
    // at that moment: unlistened, the event kills the process. The query that next uses the client
    // fails and the pool discards it; this listener only keeps the process alive.
    onConnect: (client) => {
      client.on('error', () => undefined);
    },
  });
  return new PrismaClient({ adapter });
}
