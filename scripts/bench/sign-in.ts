// Scenario 7, the whole sign-in as plain HTTP with a cookie jar: authorize → login form (argon2id)
// → consent → code → token. Also its physical limit: argon2id verifications per second here.
import { createHash, randomBytes } from 'node:crypto';

import { PasswordHasher, type Argon2Parameters } from '../../src/services/passwords.js';
import { FormBrowser, type Transport } from '../../test/helpers/browser.js';
import { signIn } from '../../test/helpers/fixtures.js';
import type { LoadOutcome } from './load.js';
import { driveLoop } from './loop.js';
import type { Credentials } from './scenarios.js';

export interface SignInTarget {
  issuer: string;
  web: Credentials;
  redirectUri: string;
  password: string;
  /** How the flow's requests are sent: the bench's lean kept-alive client (http-transport.ts). */
  transport: Transport;
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

/** One complete sign-in; `prompt=consent` makes the consent page part of every flow. */
export async function signInFlow(
  target: SignInTarget,
  { login, scope, resource, prompt = 'consent' }: { login: string; scope: string; resource?: string; prompt?: string },
): Promise<TokenResponse> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/auth', target.issuer);
  url.search = new URLSearchParams({
    client_id: target.web.clientId,
    response_type: 'code',
    redirect_uri: target.redirectUri,
    scope,
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    prompt,
    ...(resource ? { resource } : {}),
  }).toString();
  const { transport } = target;
  const { callback } = await signIn(new FormBrowser({}, transport), url, target.redirectUri, { login, password: target.password });
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`sign-in ended without a code: ${callback.searchParams.get('error') ?? 'no error'}`);
  const response = await transport(new URL('/token', target.issuer).toString(), {
    method: 'POST',
    headers: new Headers({
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(target.web.clientId)}:${encodeURIComponent(target.web.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    }),
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: target.redirectUri, code_verifier: verifier }).toString(),
  });
  if (response.status !== 200) throw new Error(`code exchange failed with ${response.status}: ${response.body}`);
  return JSON.parse(response.body) as TokenResponse;
}

/** `workers` users signing in over and over for `seconds`: flows per second and flow latency. */
export function driveSignIns(
  target: SignInTarget,
  { workers, seconds, logins, scope, resource }: { workers: number; seconds: number; logins: string[]; scope: string; resource: string },
): Promise<LoadOutcome> {
  return driveLoop(workers, seconds, async (worker) => {
    await signInFlow(target, { login: logins[worker % logins.length]!, scope, resource });
  });
}

/**
 * argon2id verifications per second with these parameters, `parallel` at a time (the cores the
 * server may use): the ceiling for password sign-ins on this machine.
 */
export async function measureArgon2Limit(parameters: Argon2Parameters, { parallel, seconds }: { parallel: number; seconds: number }): Promise<number> {
  // As many at once as asked: the hasher's own default (one core fewer than the machine has) would
  // quietly measure fewer cores than the limit claims.
  const hasher = new PasswordHasher(parameters, parallel);
  const hash = await hasher.hash('correct horse battery staple');
  await hasher.verify(hash, 'correct horse battery staple');
  let done = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < until) {
        if (!(await hasher.verify(hash, 'correct horse battery staple'))) throw new Error('argon2 verification failed');
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}
