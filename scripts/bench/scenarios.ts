// The HTTP requests of scenarios 1–6, as autocannon request lists. The same definitions drive
// Gatehouse and the baseline; only the credentials and tokens differ.
import { keepAliveTransport } from './http-transport.js';
import type { LoadSpec } from './load.js';

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

export interface ScenarioInputs {
  api: string;
  scope: string;
  machine: Credentials;
  resourceServer: Credentials;
  /** An access token the resource server introspects. */
  introspectedToken: string;
  /** The web client whose refresh tokens rotate. */
  web?: Credentials;
  /** Refresh tokens, one per connection at least; each response puts its successor back. */
  refreshTokens?: string[];
  /** A user's access token accepted by userinfo. */
  userAccessToken?: string;
}

const basic = ({ clientId, clientSecret }: Credentials) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const FORM = 'application/x-www-form-urlencoded';

export function clientCredentials(inputs: ScenarioInputs): LoadSpec {
  return {
    requests: [
      {
        method: 'POST',
        path: '/token',
        headers: { authorization: basic(inputs.machine), 'content-type': FORM },
        body: form({ grant_type: 'client_credentials', scope: inputs.scope, resource: inputs.api }),
      },
    ],
  };
}

export function introspection(inputs: ScenarioInputs): LoadSpec {
  let inactive = 0;
  return {
    failures: () => inactive,
    requests: [
      {
        method: 'POST',
        path: '/token/introspection',
        headers: { authorization: basic(inputs.resourceServer), 'content-type': FORM },
        body: form({ token: inputs.introspectedToken }),
        // An inactive answer is a 200 too: count it as an error.
        onResponse: (status, body) => {
          if (status === 200 && !body.includes('"active":true')) inactive += 1;
        },
      },
    ],
  };
}

export function jwks(): LoadSpec {
  return { requests: [{ method: 'GET', path: '/jwks' }] };
}

export function discovery(): LoadSpec {
  return { requests: [{ method: 'GET', path: '/.well-known/openid-configuration' }] };
}

/**
 * Refresh-token rotation, one token family per worker: each response's refresh token is the next
 * request's. A family that fails (it should not) is replaced from the spares.
 */
export function refreshRotation(issuer: string, inputs: ScenarioInputs): (worker: number) => Promise<void> {
  const spares = inputs.refreshTokens;
  const web = inputs.web;
  if (!spares?.length || !web) throw new Error('refresh_token needs refresh tokens and the web client');
  const current = new Map<number, string>();
  const url = new URL('/token', issuer).toString();
  const send = keepAliveTransport();
  return async (worker) => {
    const token = current.get(worker) ?? spares.shift();
    current.delete(worker);
    if (!token) {
      // Every family failed: count an error without spinning.
      await new Promise((r) => setTimeout(r, 100));
      throw new Error('no refresh token left');
    }
    const response = await send(url, {
      method: 'POST',
      headers: new Headers({ authorization: basic(web), 'content-type': FORM }),
      body: form({ grant_type: 'refresh_token', refresh_token: token }),
    });
    const body = JSON.parse(response.body) as { refresh_token?: string };
    if (response.status !== 200 || !body.refresh_token) throw new Error(`refresh failed with ${response.status}`);
    current.set(worker, body.refresh_token);
  };
}

export function userinfo(inputs: ScenarioInputs): LoadSpec {
  if (!inputs.userAccessToken) throw new Error('userinfo needs a user access token');
  return { requests: [{ method: 'GET', path: '/me', headers: { authorization: `Bearer ${inputs.userAccessToken}` } }] };
}
