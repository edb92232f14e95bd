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
});
