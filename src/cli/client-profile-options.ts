// The `clients create` / `clients update` options for a client's protocol settings: PAR, DPoP,
// signed request objects (JAR), signed responses (JARM), back-channel logout, FAPI 2.0, token exchange.
/* eslint-disable security/detect-non-literal-fs-filename -- the JWKS file is named by the operator running the CLI */
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';

import type { CreateClientInput } from '../schemas/client.js';
import { list, str, UsageError } from './command.js';

export const PROFILE_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  'jwks-file': { type: 'string' },
  'require-par': { type: 'boolean' },
  dpop: { type: 'boolean' },
  'require-signed-request-object': { type: 'boolean' },
  'jarm-alg': { type: 'string' },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  fapi: { type: 'string' },
  'token-exchange-from': { type: 'string', multiple: true },
};

export const PROFILE_USAGE = [
  '    [--jwks-file FILE] [--require-par] [--dpop] [--require-signed-request-object] [--jarm-alg ES256|PS256|RS256|EdDSA]',
  '    [--backchannel-logout-uri URL [--backchannel-logout-session-required]] [--fapi 2.0] [--token-exchange-from API]...',
  '',
  '  --require-par          authorization requests must be pushed first (RFC 9126)',
  '  --dpop                 tokens must be bound to a DPoP key (RFC 9449)',
  '  --fapi 2.0             hold the client to FAPI 2.0: implies --require-par and --dpop; needs private_key_jwt',
  '  --token-exchange-from  with the token-exchange grant: an API whose access tokens the client may exchange',
].join('\n');

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function readJwks(file: string | undefined): CreateClientInput['jwks'] {
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CreateClientInput['jwks'];
  } catch (error) {
    throw new UsageError(`--jwks-file: cannot read a JSON JWK Set from ${file}: ${(error as Error).message}`);
  }
}

/** The protocol settings given on the command line; options left out are undefined (unchanged on update). */
type ProfileInput = Pick<
  CreateClientInput,
  'jwks' | 'requirePushedAuthorizationRequests' | 'dpopBoundAccessTokens' | 'requireSignedRequestObject' | 'authorizationSignedResponseAlg'
  | 'backchannelLogoutUri' | 'backchannelLogoutSessionRequired' | 'fapiProfile' | 'tokenExchangeSubjectApis'
>;

export function profileInput(values: Values): ProfileInput {
  const flag = (name: string) => (values[name] === true ? true : undefined);
  const from = list(values['token-exchange-from']);
  return {
    jwks: readJwks(str(values['jwks-file'])),
    requirePushedAuthorizationRequests: flag('require-par'),
    dpopBoundAccessTokens: flag('dpop'),
    requireSignedRequestObject: flag('require-signed-request-object'),
    authorizationSignedResponseAlg: str(values['jarm-alg']) as CreateClientInput['authorizationSignedResponseAlg'],
    backchannelLogoutUri: str(values['backchannel-logout-uri']),
    backchannelLogoutSessionRequired: flag('backchannel-logout-session-required'),
    fapiProfile: str(values.fapi) as CreateClientInput['fapiProfile'],
    tokenExchangeSubjectApis: from.length ? from : undefined,
  };
}
