import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io';
import { runCli } from '../../src/cli/program';
import { createDb, type Db } from '../../src/shared/platform/db';
import { createRedis } from '../../src/shared/platform/redis';
import { TicketKeeper } from '../../src/shared/webank/tickets/keeper';
import { startSimulator, type Simulator } from '../../src/simulator';
import { testConfig, uid } from '../support/web-harness';

describe('CLI: verification start', () => {
  let sim: Simulator;
  let db: Db;
  const appId = uid('TIDA');
  const secret = uid('secret');
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    sim = await startSimulator({ apps: [{ appId, secret }] });
    env = {
      ...process.env,
      WEBANK_APP_ID: appId,
      WEBANK_SECRET: secret,
      WEBANK_BASE_URL: sim.url,
      PUBLIC_BASE_URL: 'https://faceid.example.com',
    };
    db = createDb(process.env.DATABASE_URL!, 2);
  });
  afterAll(async () => {
    await db.$disconnect();
    await sim.close();
  });

  async function cli(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const osUser = uid('staff-');
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      readStdin: async () => '',
      promptSecret: () => Promise.reject(new Error('no terminal')),
      interactive: false,
      env,
      osUser,
      stderr: new PassThrough(),
    };
    const code = await runCli(args, io);
    const audit = await db.auditEntry.findMany({ where: { actor: `cli:${osUser}` } });
    return { code, out, err, audit };
  }

  test('when no credentials are held yet, then exit 3, a failure audit row, and no URL', async () => {
    const run = await cli(['verification', 'start', '--user', 'sms0']);
    expect(run.code).toBe(3);
    expect(run.out).toEqual([]);
    expect(run.audit).toMatchObject([{ action: 'verification.start', outcome: 'failure' }]);
  });

  test('when staff start one, then the WeBank URL is printed alone on stdout, audited without the identity', async () => {
    const redis = createRedis(process.env.REDIS_URL!, 'producer', 'cli-test');
    const keeper = new TicketKeeper({ db, redis, config: testConfig(env) });
    await keeper.start();
    await keeper.stop();
    redis.disconnect();

    const run = await cli([
      'verification',
      'start',
      '--user',
      'sms1',
      '--name',
      '张三',
      '--id-no',
      '11010519900307421x',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toHaveLength(1);
    const url = new URL(run.out[0]!);
    expect(url.href.startsWith(`${sim.url}/api/web/login?`)).toBe(true);
    expect(url.searchParams.get('url')).toBe('https://faceid.example.com/webank/callback/default');
    expect(run.audit).toMatchObject([
      { action: 'verification.start', outcome: 'success', orderNo: url.searchParams.get('orderNo') },
    ]);
    expect(JSON.stringify(run.audit.map((a) => ({ ...a, id: null })))).not.toMatch(/11010519900307421|张三/);
    const order = await db.order.findFirstOrThrow({
      where: { appId, orderNo: url.searchParams.get('orderNo')! },
      include: { timeline: { orderBy: { id: 'asc' } } },
    });
    expect(order.timeline[0]).toMatchObject({ type: 'start_requested', detail: { via: 'cli' } });
    expect(sim.faceSession(appId, order.orderNo)?.idNo).toBe('11010519900307421X');
  });

  test('when PUBLIC_BASE_URL is not configured, then exit 3 saying so: WeBank would have no callback URL', async () => {
    const saved = env.PUBLIC_BASE_URL;
    env.PUBLIC_BASE_URL = '';
    try {
      const run = await cli(['verification', 'start', '--user', 'sms2']);
      expect(run.code).toBe(3);
      expect(run.err.join(' ')).toMatch(/PUBLIC_BASE_URL/);
    } finally {
      env.PUBLIC_BASE_URL = saved;
    }
  });

  test('when an option is malformed, then exit 2 naming it', async () => {
    const run = await cli(['verification', 'start', '--user', 'a b']);
    expect(run.code).toBe(2);
    expect(run.err.join(' ')).toMatch(/--user/);
  });
});
