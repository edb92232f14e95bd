// Registers what the end-to-end tests need (APIs, clients, users) and drives a sign-in.
import * as oidc from 'openid-client';

import type { Core } from '../../src/core.js';
import { formAction, hiddenField, type FormBrowser, type Page } from './browser.js';

export const PASSWORD = 'correct horse battery staple';

export async function createUser(core: Core, username = 'alice') {
  return core.users.create({
    username,
    email: `${username}@example.com`,
    emailVerified: true,
    name: `${username[0]!.toUpperCase()}${username.slice(1)} Example`,
    password: PASSWORD,
  });
}

export async function createApi(core: Core, identifier: string, scopes: string[], extra: { ttl?: number; alg?: string } = {}) {
  return core.apis.create({
    identifier,
    name: `API ${identifier}`,
    scopes: scopes.map((name) => ({ name, description: `Use ${name}` })),
    accessTokenTtl: extra.ttl,
    signingAlg: extra.alg as never,
  });
}

export async function createWebClient(core: Core, { redirectUri, apis = [], name = 'Web App', publicClient = false, postLogoutRedirectUri }: {
  redirectUri: string;
  apis?: string[];
  name?: string;
  publicClient?: boolean;
  postLogoutRedirectUri?: string;
}) {
  const { client, clientSecret } = await core.clients.create({
    name,
    redirectUris: [redirectUri],
    postLogoutRedirectUris: postLogoutRedirectUri ? [postLogoutRedirectUri] : [],
    apis,
    public: publicClient,
  });
  return { clientId: client.clientId, clientSecret };
}

export async function createMachineClient(core: Core, apis: string[], scope?: string) {
  const { client, clientSecret } = await core.clients.create({ name: 'Worker', apis, grantTypes: ['client_credentials'], scope });
  return { clientId: client.clientId, clientSecret: clientSecret! };
}

export async function createResourceServerClient(core: Core, api: string) {
  const { client, clientSecret } = await core.clients.create({ name: `RS for ${api}`, introspectFor: api });
  return { clientId: client.clientId, clientSecret: clientSecret! };
}

export async function relyingParty(issuer: string, clientId: string, clientSecret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    clientSecret,
    clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface AuthorizationStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(
  config: oidc.Configuration,
  params: { redirectUri: string; scope: string; resource?: string; prompt?: string; extra?: Record<string, string> },
): Promise<AuthorizationStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: params.redirectUri,
    scope: params.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...(params.resource ? { resource: params.resource } : {}),
    ...(params.prompt ? { prompt: params.prompt } : {}),
    ...params.extra,
  });
  return { url, verifier, state, nonce };
}

/**
 * Walks the sign-in pages like a browser submitting forms: login (unless a session exists), then
 * consent when asked. Returns the URL the browser is finally sent to (the client's redirect URI).
 */
export async function signIn(
  browser: FormBrowser,
  authorizationUrl: URL,
  redirectUri: string,
  { login = 'alice', password = PASSWORD, consent = 'allow' as 'allow' | 'deny' } = {},
): Promise<{ callback: URL; pages: Page[] }> {
  const pages: Page[] = [];
  let page = await browser.follow(await browser.get(authorizationUrl.toString()), redirectUri);
  for (let step = 0; step < 6; step += 1) {
    pages.push(page);
    if (page.url.startsWith(redirectUri)) return { callback: new URL(page.url), pages };
    if (page.body.includes('name="password"')) {
      // A second login form means the first was refused: stop (retrying would trip the brute-force limits).
      if (pages.slice(0, -1).some((p) => p.body.includes('name="password"'))) throw new Error(`sign-in refused (${page.status})`);
      page = await browser.post(new URL(formAction(page.body, '/login'), page.url).toString(), {
        csrf: hiddenField(page.body, 'csrf'),
        login,
        password,
      });
    } else if (page.body.includes('/confirm')) {
      const target = consent === 'allow' ? '/confirm' : '/abort';
      page = await browser.post(new URL(formAction(page.body, target), page.url).toString(), { csrf: hiddenField(page.body, 'csrf') });
    } else {
      throw new Error(`unexpected page (${page.status}) at ${page.url}: ${page.body.slice(0, 300)}`);
    }
    page = await browser.follow(page, redirectUri);
  }
  throw new Error('sign-in did not finish');
}
