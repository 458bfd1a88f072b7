import { redact, REDACTED } from '../../src/shared/platform/logger';
import { captureLogs } from '../support/log-capture';
import { componentLogger } from '../../src/shared/platform/logger';

describe('log redaction', () => {
  test('when objects carry secrets or personal data at any depth, then their values are replaced', () => {
    const out = redact({
      ticket: 'abc',
      nested: { idNo: '110101199003074211', Name: '张三', list: [{ access_token: 't' }] },
      orderNo: 'keep',
    }) as Record<string, any>;
    expect(out).toEqual({
      ticket: REDACTED,
      nested: { idNo: REDACTED, Name: REDACTED, list: [{ access_token: REDACTED }] },
      orderNo: 'keep',
    });
  });

  test('when free text carries a signed URL or an ID number, then those parts are replaced', () => {
    expect(redact('GET /x?app_id=1&sign=ABCDEF&nonce=n1&secret=s3 id 11010119900307421X')).toBe(
      `GET /x?app_id=1&sign=${REDACTED}&nonce=${REDACTED}&secret=${REDACTED} id ${REDACTED}`,
    );
  });

  test('when a component logs an error holding a secret, then the line written has none of it', () => {
    const logs = captureLogs();
    try {
      componentLogger('t').error('query failed', {
        err: new Error('bad https://h/api?access_token=SECRETTOKEN'),
        name: '李四',
      });
    } finally {
      logs.stop();
    }
    expect(logs.lines.join('\n')).not.toMatch(/SECRETTOKEN|李四/);
    expect(logs.lines[0]).toContain('"component":"t"');
  });
});

describe('what redaction replaces, field by field', () => {
  const FIELDS = [
    'secret',
    'ticket',
    'tickets',
    'value',
    'access_token',
    'accessToken',
    'sign',
    'signature',
    'newSignature',
    'newSign',
    'nonce',
    'password',
    'token',
    'authorization',
    'cookie',
    'idNo',
    'name',
    'idcard',
    'address',
    'birth',
    'photo',
    'video',
    'frontPhoto',
    'backPhoto',
    'frontCrop',
    'backCrop',
    'headPhoto',
    'DATA_ENCRYPTION_KEY',
    'WEBANK_SECRET',
    'S3_SECRET_ACCESS_KEY',
  ];

  test.each(FIELDS)('when a field is named %s (in any case), then its value is replaced', (field) => {
    expect(redact({ [field]: 'v', keep: 'k' })).toEqual({ [field]: REDACTED, keep: 'k' });
    expect(redact({ [field.toUpperCase()]: 'v' })).toEqual({ [field.toUpperCase()]: REDACTED });
    expect(redact({ [field.toLowerCase()]: 'v' })).toEqual({ [field.toLowerCase()]: REDACTED });
  });

  test('when a secret field is empty or absent, then it is left as it is (the line says it was missing)', () => {
    expect(redact({ ticket: null, sign: '', nonce: undefined, token: 0 })).toEqual({
      ticket: null,
      sign: '',
      nonce: undefined,
      token: REDACTED,
    });
  });

  test('when other values are not text, then they pass unchanged', () => {
    expect(redact({ n: 1, b: false, none: null, u: undefined, list: [1, 'a', null] })).toEqual({
      n: 1,
      b: false,
      none: null,
      u: undefined,
      list: [1, 'a', null],
    });
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBeNull();
    expect(redact(undefined)).toBeUndefined();
  });

  test('when a field name only contains a secret word, then its value is kept (exact names only)', () => {
    expect(redact({ signed: 'yes', tokens_used: 3, appName: 'a' })).toEqual({
      signed: 'yes',
      tokens_used: 3,
      appName: 'a',
    });
  });

  test.each(['secret', 'access_token', 'sign', 'newSignature', 'newSign', 'ticket', 'nonce', 'SIGN', 'Access_Token'])(
    'when a URL carries %s in its query, then its value is replaced up to the next & or space or quote',
    (param) => {
      expect(redact(`/a?${param}=S1&b=2`)).toBe(`/a?${param}=${REDACTED}&b=2`);
      expect(redact(`/a?x=1&${param}=S2 next`)).toBe(`/a?x=1&${param}=${REDACTED} next`);
      expect(redact(`"/a?${param}=S3"`)).toBe(`"/a?${param}=${REDACTED}"`);
      expect(redact(`'/a?${param}=S4'`)).toBe(`'/a?${param}=${REDACTED}'`);
      expect(redact(`/a?${param}=S5\tnext`)).toBe(`/a?${param}=${REDACTED}\tnext`);
    },
  );

  test('when a query parameter only resembles a secret one, or is not a parameter, then it is kept', () => {
    for (const text of [
      '/a?signal=1',
      '/a?x=1&nonces=2',
      '/a?app_id=TIDA&order_no=o1',
      'sign=1 at the start',
      '/a#sign=1',
    ]) {
      expect(redact(text)).toBe(text);
    }
    expect(redact('/a?sign=&b=2')).toBe(`/a?sign=${REDACTED}&b=2`);
  });

  test('when free text holds a mainland ID number, then it is replaced wherever it stands alone', () => {
    expect(redact('id 110101199003074211.')).toBe(`id ${REDACTED}.`);
    expect(redact('(11010119900307421X)')).toBe(`(${REDACTED})`);
    expect(redact('11010119900307421x,110101199003074211')).toBe(`${REDACTED},${REDACTED}`);
    // Not an ID number: too short, too long, inside a longer token, or a letter other than X.
    for (const text of [
      '11010119900307421',
      '1101011990030742111',
      'a110101199003074211',
      '110101199003074211b',
      '11010119900307421Y',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  test('when an error is logged, then its name stays and its message and stack are cleaned', () => {
    const err = new TypeError('bad /a?sign=S9 for 110101199003074211');
    const out = redact(err) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['message', 'name', 'stack']);
    expect(out.name).toBe('TypeError');
    expect(out.message).toBe(`bad /a?sign=${REDACTED} for ${REDACTED}`);
    expect(out.stack).toContain(`TypeError: bad /a?sign=${REDACTED} for ${REDACTED}`);
    expect(out.stack).not.toMatch(/S9|110101199003074211/);
  });

  test('when a value refers back to itself, then the loop is cut and the rest still cleaned', () => {
    const a: Record<string, unknown> = { sign: 's', label: 'a' };
    a.self = a;
    a.list = [a];
    expect(redact(a)).toEqual({ sign: REDACTED, label: 'a', self: '[circular]', list: ['[circular]'] });
    const e = new Error('loop') as Error & { again?: unknown };
    expect(redact({ e, again: e })).toMatchObject({ e: { message: 'loop' }, again: '[circular]' });
  });

  test('when a component logs text and fields, then the written line keeps the level, message and safe fields, cleaned', () => {
    const logs = captureLogs();
    try {
      componentLogger('c1').warn('lookup of 110101199003074211 failed', {
        orderNo: 'o-1',
        idNo: '110101199003074211',
        url: '/api?app_id=A&sign=SIGNVALUE',
      });
    } finally {
      logs.stop();
    }
    expect(logs.lines).toHaveLength(1);
    const line = JSON.parse(logs.lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      message: `lookup of ${REDACTED} failed`,
      component: 'c1',
      orderNo: 'o-1',
      // Spelled out: a reader of the line must see that something was there.
      idNo: '[redacted]',
      url: '/api?app_id=A&sign=[redacted]',
    });
    expect(typeof line.timestamp).toBe('string');
  });
});

describe('where log lines go', () => {
  const loadWith = async (env: Record<string, string | undefined>) => {
    const saved = { NODE_ENV: process.env.NODE_ENV, LOG_LEVEL: process.env.LOG_LEVEL };
    Object.assign(process.env, env);
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
    try {
      let mod: typeof import('../../src/shared/platform/logger') | undefined;
      // A fresh copy of the module: its logger is configured from the environment when loaded.
      await jest.isolateModulesAsync(async () => {
        mod = await import('../../src/shared/platform/logger.js');
      });
      const console = mod!.logger.transports[0] as unknown as {
        silent?: boolean;
        stderrLevels: Record<string, unknown>;
      };
      return { level: mod!.logger.level, silent: console.silent, stderr: Object.keys(console.stderrLevels).sort() };
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };

  test('when running for real, then info and above go to the console, warnings and errors on stderr', async () => {
    expect(await loadWith({ NODE_ENV: 'production', LOG_LEVEL: undefined })).toEqual({
      level: 'info',
      silent: false,
      stderr: ['error', 'warn'],
    });
  });

  test('when tests run, then the console is silent and the level is warn, unless LOG_LEVEL asks otherwise', async () => {
    expect(await loadWith({ NODE_ENV: 'test', LOG_LEVEL: undefined })).toMatchObject({ level: 'warn', silent: true });
    expect(await loadWith({ NODE_ENV: 'test', LOG_LEVEL: 'debug' })).toMatchObject({ level: 'debug', silent: false });
    expect(await loadWith({ NODE_ENV: 'production', LOG_LEVEL: 'error' })).toMatchObject({
      level: 'error',
      silent: false,
    });
  });
});
