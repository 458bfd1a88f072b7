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
