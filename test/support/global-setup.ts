import { migrate } from '../../src/shared/platform/migrate';

/** Brings the test database to the current schema before any suite runs. */
export default async function globalSetup(): Promise<void> {
  await migrate(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test');
}
