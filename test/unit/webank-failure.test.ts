import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { WebankClient } from '../../src/shared/webank/client';
import {
  NO_RESULT_CODE,
  WebankError,
  WebankFailure,
  WebankHttpError,
  WebankNetworkError,
  WebankProtocolError,
  WebankTimeoutError,
  isRetryable,
  isSignatureRejection,
  recoveryOf,
} from '../../src/shared/webank/errors';
import { MalformedResponseError } from '../../src/shared/webank/malformed-response-error';
import { parseWebankStream } from '../../src/shared/webank/response-stream';
import { describeFailure, failureFields } from '../../src/shared/webank/tickets/failure';
import { webankErrorCode } from '../../src/workers/instrumented-webank';

const PATH = '/api/server/sync';
/** Values that may stand for personal data in a WeBank answer: a name and an ID card number. */
const NAME = '张三丰';
const ID_NUMBER = '110101199003077777';

describe('WebankFailure: what a caller does about each failure', () => {
  const cases: Array<[string, WebankFailure, 'retry' | 'refresh_ticket' | 'terminal', string]> = [
    ['a signature rejection (400101)', new WebankError('400101', 'sign error', PATH), 'refresh_ticket', '400101'],
    ['a dead access_token (400103)', new WebankError('400103', 'token expired', PATH), 'refresh_ticket', '400103'],
    // 1007/31082 "Token 过期,请重试"; public clients refresh on it.
    ['an expired token (15)', new WebankError('15', 'Token 过期,请重试', PATH), 'refresh_ticket', '15'],
    ['refused credentials (400104)', new WebankError('400104', 'bad secret', PATH), 'terminal', '400104'],
    ['no result', new WebankError(NO_RESULT_CODE, 'no result', PATH), 'terminal', NO_RESULT_CODE],
    ['a long unknown code', new WebankError('12345678901234567', 'odd', PATH), 'terminal', '123456789012'],
    ['HTTP 503', new WebankHttpError(503, PATH), 'retry', 'http_503'],
    ['HTTP 500', new WebankHttpError(500, PATH), 'retry', 'http_500'],
    ['HTTP 429', new WebankHttpError(429, PATH), 'retry', 'http_429'],
    ['HTTP 408', new WebankHttpError(408, PATH), 'retry', 'http_408'],
    ['HTTP 403', new WebankHttpError(403, PATH), 'terminal', 'http_403'],
    ['HTTP 404', new WebankHttpError(404, PATH), 'terminal', 'http_404'],
    ['a timeout', new WebankTimeoutError(PATH, 'headers', 1000), 'retry', 'timeout'],
    [
      'a reset',
      new WebankNetworkError(PATH, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
      'retry',
      'network',
    ],
    ['a garbled answer', new WebankProtocolError(PATH, 'no code field'), 'retry', 'protocol'],
    ['a malformed body', new MalformedResponseError('invalid base64', 'video'), 'retry', 'malformed_response'],
  ];

  test.each(cases)(
    'when the failure is %s, then its recovery, retryability and metrics label follow',
    (_, err, recovery, label) => {
      expect(err).toBeInstanceOf(WebankFailure);
      expect(err).toBeInstanceOf(Error);
      expect(err.recovery).toBe(recovery);
      expect(recoveryOf(err)).toBe(recovery);
      expect(err.retryable).toBe(recovery !== 'terminal');
      expect(isRetryable(err)).toBe(recovery !== 'terminal');
      expect(isSignatureRejection(err)).toBe(recovery === 'refresh_ticket');
      expect(err.label).toBe(label);
      expect(webankErrorCode(err)).toBe(label);
    },
  );

  test('when an error is not a WeBank failure, then it has no recovery and is neither retryable nor a rejection', () => {
    for (const err of [new Error('boom'), 'text', undefined, { code: '400101' }]) {
      expect(recoveryOf(err)).toBeUndefined();
      expect(isRetryable(err)).toBe(false);
      expect(isSignatureRejection(err)).toBe(false);
      expect(webankErrorCode(err)).toBe('other');
    }
  });

  test('then each subclass keeps its name and what is specific to it', () => {
    expect(new WebankError('400101', '签名校验失败', PATH, '2024')).toMatchObject({
      name: 'WebankError',
      code: '400101',
      msg: '签名校验失败',
      path: PATH,
      bizSeqNo: '2024',
    });
    expect(new WebankHttpError(502, PATH)).toMatchObject({ name: 'WebankHttpError', status: 502, path: PATH });
    expect(new WebankTimeoutError(PATH, 'body', 300)).toMatchObject({
      name: 'WebankTimeoutError',
      phase: 'body',
      timeoutMs: 300,
    });
    expect(new WebankProtocolError(PATH, 'no code field')).toMatchObject({
      name: 'WebankProtocolError',
      reason: 'no code field',
    });
    expect(new WebankNetworkError(PATH, { code: 'ECONNREFUSED' })).toMatchObject({
      name: 'WebankNetworkError',
      message: `WeBank ${PATH} connection failed: ECONNREFUSED`,
    });
    expect(new MalformedResponseError('duplicate file field', 'photo')).toMatchObject({
      name: 'MalformedResponseError',
      code: 'malformed_response',
      field: 'photo',
      path: undefined,
      message: 'duplicate file field (field photo)',
    });
  });
});

describe('WebankFailure messages: the path, never its query, never personal data', () => {
  const query = '?app_id=TIDA0001&access_token=tok-secret&sign=ABCDEF&secret=s3cr3t';

  test('when a failure is made with a path that carries its query, then neither the message nor the path holds the query', () => {
    const made = [
      new WebankError('400101', 'sign error', PATH + query),
      new WebankHttpError(503, PATH + query),
      new WebankTimeoutError(PATH + query, 'headers', 1000),
      new WebankProtocolError(PATH + query, 'no code field'),
      new WebankNetworkError(PATH + query, { code: 'ECONNRESET' }),
    ];
    for (const err of made) {
      expect(err.path).toBe(PATH);
      expect(err.message).toContain(PATH);
      for (const secret of ['?', 'tok-secret', 'ABCDEF', 's3cr3t', 'access_token'])
        expect(err.message).not.toContain(secret);
      expect(JSON.stringify(failureFields(err))).not.toMatch(/tok-secret|ABCDEF|s3cr3t/);
    }
  });

  test('when a buffered answer is not JSON and quotes personal data, then the protocol error does not repeat it', async () => {
    // A peer answering a non-JSON body (a proxy's page, a broken gateway): the simulator has no such fault.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`N${NAME}${ID_NUMBER}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new WebankClient({ apps: [{ appId: 'TIDAgarbled', baseUrl: url }], timeoutMs: 2000 });
    try {
      const err = await client
        .queryJson('faceid', { appId: 'TIDAgarbled', orderNo: 'o1', ticket: 't' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WebankProtocolError);
      expect((err as Error).message).toMatch(/not JSON/);
      expect((err as Error).message).not.toContain(NAME);
      expect((err as Error).message).not.toContain(ID_NUMBER.slice(0, 4));
    } finally {
      client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test.each([
    ['a string with a bad escape', `{"code":"0","result":{"name":"${NAME}\\x","idNo":"${ID_NUMBER}"}}`],
    ['a number with junk after it', `{"code":"0","result":{"idNo":${ID_NUMBER}x}}`],
    ['a bad escape in msg', `{"code":"0","msg":"${NAME}\\q"}`],
  ])(
    'when a streamed answer holds %s, then the malformed-response error does not repeat the value',
    async (_, text) => {
      const err = await parseWebankStream(Readable.from([Buffer.from(text)]), {
        fileFields: ['photo'],
        onFile: async () => undefined,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as Error).message).toMatch(/malformed JSON value/);
      expect((err as Error).message).not.toContain(NAME);
      expect((err as Error).message).not.toContain(ID_NUMBER.slice(0, 4));
    },
  );
});

describe('ticket refresh failures as logs and health checks show them', () => {
  test('then WeBank code, HTTP status, phase and path come from the failure itself, with what a retry can do', () => {
    const at = new Date('2026-12-02T00:00:00Z');
    expect(
      describeFailure(new WebankError('400104', 'app_id 或 secret 不合法', '/api/oauth2/access_token'), at),
    ).toEqual({
      message: 'WeBank /api/oauth2/access_token answered code 400104: app_id 或 secret 不合法',
      code: '400104',
      at,
    });
    expect(describeFailure(new WebankHttpError(503, '/api/oauth2/api_ticket'), at)).toMatchObject({ code: 'HTTP 503' });
    expect(describeFailure(new WebankTimeoutError('/api/oauth2/api_ticket', 'headers', 10), at)).not.toHaveProperty(
      'code',
    );
    expect(describeFailure(new Error('lock held too long'), at)).toEqual({ message: 'lock held too long', at });

    expect(
      failureFields(new WebankError('400104', 'app_id 或 secret 不合法', '/api/oauth2/access_token', 'B1')),
    ).toEqual({
      error: 'WebankError',
      detail: 'WeBank /api/oauth2/access_token answered code 400104: app_id 或 secret 不合法',
      code: '400104',
      msg: 'app_id 或 secret 不合法',
      path: '/api/oauth2/access_token',
      bizSeqNo: 'B1',
      recovery: 'terminal',
    });
    expect(failureFields(new WebankHttpError(502, '/api/oauth2/api_ticket'))).toMatchObject({
      status: 502,
      path: '/api/oauth2/api_ticket',
      recovery: 'retry',
    });
    expect(failureFields(new WebankTimeoutError('/api/oauth2/api_ticket', 'body', 10))).toMatchObject({
      phase: 'body',
      path: '/api/oauth2/api_ticket',
    });
    expect(failureFields(new WebankNetworkError('/api/oauth2/api_ticket', { code: 'ECONNRESET' }))).toMatchObject({
      error: 'WebankNetworkError',
      path: '/api/oauth2/api_ticket',
      recovery: 'retry',
    });
    expect(failureFields(new Error('lock held too long'))).toEqual({ error: 'Error', detail: 'lock held too long' });
  });
});

describe("WeBank's msg in error text (issue 15, item 9)", () => {
  test('when msg is a description WeBank documents, then it is shown; anything else is withheld with its length only', () => {
    expect(new WebankError('66660011', '无此查询结果', '/q').message).toBe(
      'WeBank /q answered code 66660011: 无此查询结果',
    );
    const leaky = new WebankError('66660099', '身份证号 11010519491231002X 与姓名 赵小六 不匹配', '/q');
    expect(leaky.message).toBe('WeBank /q answered code 66660099: [msg withheld, 35 characters]');
    expect(JSON.stringify(leaky.facts())).not.toMatch(/11010519491231002X|赵小六/);
  });
});
