// Test defaults: the machine's PostgreSQL and Redis; S3 and WeBank are started per test file
// (fauxqs and the simulator on free ports) and override the S3_* / WEBANK_* values.
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
process.env.WEBANK_APP_ID ??= 'TIDAtest0001';
process.env.WEBANK_SECRET ??= 'test-secret-not-real';
process.env.WEBANK_BASE_URL ??= 'http://127.0.0.1:9';
process.env.S3_BUCKET ??= 'evidence-test';
process.env.S3_ACCESS_KEY_ID ??= 'test';
process.env.S3_SECRET_ACCESS_KEY ??= 'test';
process.env.S3_FORCE_PATH_STYLE ??= 'true';
process.env.DATA_ENCRYPTION_KEY ??= Buffer.alloc(32, 7).toString('base64');
