import { ConfigError, loadConfig } from '../../src/shared/platform/config';

const base = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
  REDIS_URL: 'redis://127.0.0.1:6379',
  WEBANK_APP_ID: 'TIDA0001',
  WEBANK_SECRET: 's',
  S3_BUCKET: 'evidence',
  S3_ACCESS_KEY_ID: 'a',
  S3_SECRET_ACCESS_KEY: 'b',
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('configuration', () => {
  test('when every variable is valid, then defaults fill the rest and the object is frozen', () => {
    const cfg = loadConfig(base);
    expect(cfg.CALLBACK_PATH).toBe('/webank/callback');
    expect(cfg.WEBANK_BASE_URL).toBe('https://miniprogram-kyc.tencentcloudapi.com');
    expect(cfg.apps).toEqual([expect.objectContaining({ key: 'default', appId: 'TIDA0001', product: 'faceid' })]);
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  test('when several variables are missing or malformed, then one error names each of them', () => {
    const { DATABASE_URL: _d, WEBANK_SECRET: _s, ...rest } = base;
    try {
      loadConfig({ ...rest, PORT: 'eighty', DATA_ENCRYPTION_KEY: 'short' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      for (const name of ['DATABASE_URL', 'WEBANK_SECRET', 'PORT', 'DATA_ENCRYPTION_KEY'])
        expect(message).toContain(name);
    }
  });

  test('when extra apps are configured, then each gets its key, product and host', () => {
    const cfg = loadConfig({
      ...base,
      WEBANK_APPS: JSON.stringify([
        { key: 'ocrapp', appId: 'TIDA0002', secret: 'x', product: 'ocr', baseUrl: 'https://idasc.webank.com' },
      ]),
    });
    expect(cfg.apps[1]).toMatchObject({ key: 'ocrapp', product: 'ocr', baseUrl: 'https://idasc.webank.com' });
    expect(() => loadConfig({ ...base, WEBANK_APPS: '[{"key":"default","appId":"A","secret":"s"}]' })).toThrow(
      /duplicate/,
    );
    expect(() => loadConfig({ ...base, WEBANK_APPS: 'nope' })).toThrow(/WEBANK_APPS/);
  });

  test('when no query API is named, then apps use sync; queryfacerecord defaults to https://kyc1.qcloud.com', () => {
    const cfg = loadConfig({
      ...base,
      WEBANK_QUERY_API: 'queryfacerecord',
      WEBANK_APPS: JSON.stringify([
        { key: 'a', appId: 'TIDA0002', secret: 'x' },
        { key: 'b', appId: 'TIDA0003', secret: 'x', queryApi: 'queryfacerecord', queryBaseUrl: 'https://kyc.example' },
        { key: 'c', appId: 'TIDA0004', secret: 'x', requiredFiles: ['photo'] },
      ]),
    });
    expect(cfg.apps.map((a) => [a.key, a.queryApi, a.queryBaseUrl])).toEqual([
      ['default', 'queryfacerecord', 'https://kyc1.qcloud.com'],
      ['a', 'sync', 'https://kyc1.qcloud.com'],
      ['b', 'queryfacerecord', 'https://kyc.example'],
      ['c', 'sync', 'https://kyc1.qcloud.com'],
    ]);
    expect(cfg.apps[3]!.requiredFiles).toEqual(['photo']);
  });

  test('when an OCR app asks for queryfacerecord or names an unknown file kind, then the configuration is refused', () => {
    expect(() => loadConfig({ ...base, WEBANK_PRODUCT: 'ocr', WEBANK_QUERY_API: 'queryfacerecord' })).toThrow(
      /queryfacerecord serves faceid and liveness/,
    );
    expect(() =>
      loadConfig({
        ...base,
        WEBANK_APPS: JSON.stringify([{ key: 'a', appId: 'TIDA0002', secret: 'x', requiredFiles: ['selfie'] }]),
      }),
    ).toThrow(ConfigError);
  });
});

describe('WeBank hosts and answer caps (issue 15, item 8)', () => {
  test('when a WeBank host is plain http outside development, then the configuration is refused unless it is this machine', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', WEBANK_BASE_URL: 'http://kyc1.qcloud.com' })).toThrow(
      /baseUrl must be https/,
    );
    expect(() =>
      loadConfig({
        ...base,
        NODE_ENV: 'test',
        WEBANK_APPS: JSON.stringify([
          { key: 'a', appId: 'TIDA0002', secret: 'x', queryApi: 'queryfacerecord', queryBaseUrl: 'http://10.0.0.5' },
        ]),
      }),
    ).toThrow(/queryBaseUrl must be https/);
    expect(loadConfig({ ...base, NODE_ENV: 'production', WEBANK_BASE_URL: 'http://127.0.0.1:8090' }).apps).toHaveLength(
      1,
    );
    expect(
      loadConfig({ ...base, NODE_ENV: 'development', WEBANK_BASE_URL: 'http://sim.internal:8090' }).apps,
    ).toHaveLength(1);
  });

  test('when nothing is set, then the answer caps are generous', () => {
    const cfg = loadConfig(base);
    expect(cfg.WEBANK_MAX_FIELDS).toBe(256);
    expect(cfg.WEBANK_MAX_TEXT_BYTES).toBe(4 * 1024 * 1024);
    expect(cfg.WEBANK_MAX_PHOTO_BYTES).toBe(32 * 1024 * 1024);
    expect(cfg.WEBANK_MAX_VIDEO_BYTES).toBe(512 * 1024 * 1024);
  });
});
