// The CLI runs beside a server it does not talk to: the settings that must agree between them (the
// issuer, which names the admin API and the URLs the CLI prints, and the defaults of new APIs) are
// recorded by the server in the database and adopted by the CLI unless its own environment sets them.
import { accessTokenAlgs, type AccessTokenAlg, type Config } from './config.js';

export const SHARED_SETTINGS = {
  issuer: 'ISSUER',
  access_token_ttl: 'ACCESS_TOKEN_TTL',
  access_token_alg: 'ACCESS_TOKEN_ALG',
} as const;

type SettingName = keyof typeof SHARED_SETTINGS;

/** What a server records at start. */
export function settingsToRecord(config: Config): Record<SettingName, string> {
  return { issuer: config.issuer, access_token_ttl: String(config.ttl.accessToken), access_token_alg: config.accessTokenAlg };
}

export interface Adopted {
  config: Config;
  /** Settings the environment set differently from the server's record: worth a warning. */
  differing: { variable: string; own: string; server: string }[];
}

/** The CLI's configuration with the server's recorded settings wherever its environment is silent. */
export function adoptServerSettings(config: Config, env: NodeJS.ProcessEnv, recorded: Record<string, string>): Adopted {
  const differing: Adopted['differing'] = [];
  const own = settingsToRecord(config);
  const pick = (name: SettingName): string => {
    const server = recorded[name];
    if (server === undefined || server === own[name]) return own[name];
    if (env[SHARED_SETTINGS[name]] !== undefined) {
      differing.push({ variable: SHARED_SETTINGS[name], own: own[name], server });
      return own[name];
    }
    return server;
  };
  const issuer = pick('issuer');
  const ttl = Number(pick('access_token_ttl'));
  const alg = pick('access_token_alg');
  return {
    config: {
      ...config,
      issuer,
      ttl: { ...config.ttl, accessToken: Number.isInteger(ttl) && ttl > 0 ? ttl : config.ttl.accessToken },
      accessTokenAlg: (accessTokenAlgs as readonly string[]).includes(alg) ? (alg as AccessTokenAlg) : config.accessTokenAlg,
    },
    differing,
  };
}
