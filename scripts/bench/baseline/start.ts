// Starts the baseline server (server.ts) as a child process and gets an opaque token from it for
// the introspection scenario (bare oidc-provider introspects only the tokens it stores).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ROOT } from '../../../test/helpers/cli.js';
import { startChild, type Child } from '../child.js';
import type { Credentials } from '../scenarios.js';
import { opaqueResource, type BaselineSettings } from './settings.js';

export interface BaselineUnderTest {
  child: Child;
  issuer: string;
  opaqueAccessToken(): Promise<string>;
  stop(): Promise<void>;
}

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server.ts');

export async function startBaseline(options: {
  port: number;
  workDir: string;
  keys: object[];
  api: string;
  scope: string;
  machine: Credentials;
  resourceServer: Credentials;
  /** Extra node options, as for the Gatehouse under test (--cpu-prof to compare profiles). */
  nodeArgs?: string[];
}): Promise<BaselineUnderTest> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const settings: BaselineSettings = {
    port: options.port,
    issuer,
    keys: options.keys,
    api: options.api,
    scope: options.scope,
    machine: options.machine,
    resourceServer: options.resourceServer,
  };
  const child = await startChild({
    name: 'baseline',
    script: SERVER,
    cwd: ROOT,
    env: { NODE_ENV: 'production', BENCH_BASELINE: JSON.stringify(settings) },
    logFile: path.join(options.workDir, 'baseline.log'),
    readyUrl: `${issuer}/.well-known/openid-configuration`,
    nodeArgs: options.nodeArgs,
  });
  return {
    child,
    issuer,
    async opaqueAccessToken() {
      const { clientId, clientSecret } = options.machine;
      const response = await fetch(new URL('/token', issuer), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: options.scope, resource: opaqueResource(options.api) }).toString(),
      });
      if (response.status !== 200) throw new Error(`baseline client_credentials failed with ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { access_token: string }).access_token;
    },
    stop: () => child.stop(),
  };
}
