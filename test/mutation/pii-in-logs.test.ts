import type { Server } from 'node:http';
import express from 'express';
import { createDb, type Db } from '../../src/shared/platform/db';
import { WebankClient } from '../../src/shared/webank/client';
import { jsonErrorHandler } from '../../src/web/http-errors';
import { captureLogs } from '../support/log-capture';

/**
 * Personal data and secrets reach the logger through real failures, not only through fields we
 * name: driver errors carry the offending value in enumerable fields (Prisma's `meta`), Node's URL
 * errors carry the whole URL (`input`, query included). These tests drive such failures through
 * the real error handler and the real logger, so they fail when redaction is removed.
 */
const ID_NO = '110101199003074211';
const ACCESS_TOKEN = 'AccessTokenOfTheApp0123456789';

let db: Db;
let server: Server;
let base: string;

beforeAll(async () => {
  db = createDb(process.env.DATABASE_URL!, 1);
  // WeBank's base URL as an operator might mistype it: the port is out of range.
  const webank = new WebankClient({ apps: [{ appId: 'TIDApii', baseUrl: 'http://127.0.0.1:99999' }] as never });
  const app = express();
  app.get('/lookup', async (req, res) => {
    // A lookup that PostgreSQL rejects with the value in its message (here: out of range for integer).
    const rows = await db.$queryRaw`SELECT ${typeof req.query.idNo === 'string' ? req.query.idNo : ''}::int AS n`;
    res.json(rows);
  });
  app.get('/ticket', async (_req, res) => {
    res.json(await webank.getSignTicket('TIDApii', ACCESS_TOKEN));
  });
  app.use(jsonErrorHandler);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await db.$disconnect();
});

async function failedRequest(path: string): Promise<{ status: number; body: string; lines: string[] }> {
  const logs = captureLogs();
  try {
    const res = await fetch(`${base}${path}`);
    return {
      status: res.status,
      body: await res.text(),
      lines: logs.lines.filter((l) => l.includes('request failed')),
    };
  } finally {
    logs.stop();
  }
}

describe('personal data and secrets in real failures never reach a log line', () => {
  test('when PostgreSQL rejects a query holding an ID number, then the logged error names the failure, not the number', async () => {
    const { status, body, lines } = await failedRequest(`/lookup?idNo=${ID_NO}`);
    expect(status).toBe(500);
    expect(body).not.toContain(ID_NO);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(ID_NO);
    const err = (JSON.parse(lines[0]!) as { err: Record<string, string> }).err;
    expect(err.name).toBe('PrismaClientKnownRequestError');
    expect(err.message).toContain('value "[redacted]" is out of range for type integer');
  });

  test('when the WeBank client fails on a URL holding the access_token, then the logged error has no token', async () => {
    const { status, body, lines } = await failedRequest('/ticket');
    expect(status).toBe(500);
    expect(body).not.toContain(ACCESS_TOKEN);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(ACCESS_TOKEN);
    expect(lines[0]).toContain('"path":"/ticket"');
  });
});
