// Structured logs never carry a credential, whatever object a log call is handed.
import { PassThrough } from 'node:stream';

import { expect } from 'chai';

import { createLogger } from '../../src/services/logger.js';

describe('log redaction', () => {
  it('replaces every credential-bearing field, at the top level and one level down', async () => {
    let output = '';
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const logger = createLogger({ level: 'info', destination: sink });
    const fields = [
      'password', 'client_secret', 'secret', 'token', 'access_token', 'refresh_token', 'id_token', 'code', 'code_verifier',
      'client_assertion', 'id_token_hint', 'registration_access_token', 'initial_access_token', 'passphrase', 'privateJwk',
    ];
    const values = Object.fromEntries(fields.map((f) => [f, `value-of-${f}-0123456789`]));
    logger.info(values, 'top level');
    logger.info({ body: values, req: { headers: { authorization: 'Basic c2VjcmV0', cookie: '_session=abc.def' } } }, 'nested');
    logger.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(output).to.include('[redacted]');
    for (const value of [...Object.values(values), 'Basic c2VjcmV0', '_session=abc.def']) expect(output).to.not.include(value);
  });

  it("keeps an error's code (ECONNREFUSED, a SQLSTATE) while still redacting authorization codes", async () => {
    let output = '';
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const logger = createLogger({ level: 'info', destination: sink });
    logger.error({ err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) }, 'failed');
    logger.error({ err: Object.assign(new Error('database "x" does not exist'), { code: '3D000' }) }, 'failed');
    logger.info({ code: 'auth-code-0123456789', query: { code: 'query-code-0123456789' }, body: { code: 'body-code-0123456789' } }, 'request');
    logger.flush();
    await new Promise((resolve) => setImmediate(resolve));
    const [connection, missing, request] = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
    expect(connection!.err!.code).to.equal('ECONNREFUSED');
    expect(missing!.err!.code).to.equal('3D000');
    expect(request!.code).to.equal('[redacted]');
    expect(request!.query!.code).to.equal('[redacted]');
    expect(request!.body!.code).to.equal('[redacted]');
  });
});
