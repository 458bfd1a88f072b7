import { defineConfig } from 'prisma/config';

// The CLI (migrate, generate) reads the URL here; the running service connects
// through the pg driver adapter in src/shared/platform/db.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test' },
});
