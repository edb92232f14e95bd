// Traffic that leaves rows behind: sign-ins (sessions, interactions, grants, codes), code exchanges
// and refresh-token rotations, plus the audit events they record. Used by the janitor's store-stays-
// flat test and by scripts/janitor-soak.ts.
import * as oidc from 'openid-client';

import type { Core } from '../../src/core.js';
import { FormBrowser } from './browser.js';
import { createApi, createUser, createWebClient, relyingParty, signIn, startAuthorization } from './fixtures.js';

export const STORE_TABLES = ['oidc_models', 'token_revocations', 'change_events', 'rate_limits', 'audit_events'] as const;

const API = 'https://soak.example.com';
const REDIRECT = 'http://127.0.0.1:8080/callback';

export interface ShortLivedLoad {
  /** Runs `flows` complete sign-in + exchange + refresh flows, `concurrency` at a time. */
  round(flows: number, concurrency?: number): Promise<void>;
  counts(): Promise<Record<(typeof STORE_TABLES)[number], number>>;
}

export async function prepareShortLivedLoad(core: Core, issuer: string, users = 4): Promise<ShortLivedLoad> {
  await createApi(core, API, ['soak:read']);
  for (let i = 0; i < users; i += 1) await createUser(core, `soak${i}`);
  const web = await createWebClient(core, { redirectUri: REDIRECT, apis: [API] });
  const app = await relyingParty(issuer, web.clientId, web.clientSecret);
  let next = 0;
  const flow = async () => {
    const login = `soak${next++ % users}`;
    const start = await startAuthorization(app, { redirectUri: REDIRECT, scope: 'openid offline_access soak:read', resource: API });
    const { callback } = await signIn(new FormBrowser(), start.url, REDIRECT, { login });
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    await oidc.refreshTokenGrant(app, tokens.refresh_token!);
  };
  return {
    async round(flows, concurrency = 2) {
      let remaining = flows;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (remaining > 0) {
            remaining -= 1;
            await flow();
          }
        }),
      );
    },
    async counts() {
      const knex = core.database.knex;
      const entries = await Promise.all(
        STORE_TABLES.map(async (table) => {
          const [row] = (await knex(table).count({ n: '*' })) as { n: string | number }[];
          return [table, Number(row?.n ?? 0)] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<(typeof STORE_TABLES)[number], number>;
    },
  };
}
