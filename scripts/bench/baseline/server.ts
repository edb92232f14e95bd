// The baseline: bare oidc-provider with its in-memory adapter, the same clients, the same ES256
// key and RS256 key as the Gatehouse under test, no extra middleware. Started as a child process
// by the bench with its settings in BENCH_BASELINE (JSON); prints "baseline listening" when ready.
import Provider from 'oidc-provider';

import { opaqueResource, type BaselineSettings } from './settings.js';

const settings = JSON.parse(process.env.BENCH_BASELINE ?? '{}') as BaselineSettings;

const provider = new Provider(settings.issuer, {
  clients: [
    {
      client_id: settings.machine.clientId,
      client_secret: settings.machine.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: settings.resourceServer.clientId,
      client_secret: settings.resourceServer.clientSecret,
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: settings.keys as never },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => settings.api,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => ({
        scope: settings.scope,
        audience: indicator,
        accessTokenTTL: 3600,
        ...(indicator === opaqueResource(settings.api) ? { accessTokenFormat: 'opaque' as const } : { accessTokenFormat: 'jwt' as const, jwt: { sign: { alg: 'ES256' as const } } }),
      }),
    },
  },
});

provider.on('server_error', (_ctx, error) => process.stderr.write(`server_error: ${(error as Error).stack}\n`));

provider.listen(settings.port, '127.0.0.1', () => {
  process.stdout.write('baseline listening\n');
});

// Exit normally on SIGTERM, so node options such as --cpu-prof can write their output.
process.on('SIGTERM', () => process.exit(0));
