// The CLI runs beside a server it does not talk to: the settings that must agree between them (the
// issuer, which names the admin API and the URLs the CLI prints; the defaults of new APIs; the token
// and session lifetimes that decide how long a key rotated from the CLI stays published) are recorded
// by the server in the database and adopted by the CLI unless its own environment sets them.
import { accessTokenAlgs, type AccessTokenAlg, type Config } from './config.js';

export const SHARED_SETTINGS = {
  issuer: 'ISSUER',
  access_token_ttl: 'ACCESS_TOKEN_TTL',
  access_token_alg: 'ACCESS_TOKEN_ALG',
  id_token_ttl: 'ID_TOKEN_TTL',
  session_ttl: 'SESSION_TTL',
  key_retention_margin: 'KEY_RETENTION_MARGIN',
  dynamic_registration: 'DYNAMIC_REGISTRATION',
} as const;

/**
 * Also recorded, never adopted (it is a secret's id, and the CLI needs the secret itself): the id of
 * the server's first GATEHOUSE_KEK, so that `keys rekey` can refuse to re-encrypt under another one.
 */
export const SERVER_KEK_ID = 'kek_id';

type SettingName = keyof typeof SHARED_SETTINGS;

/** What a server records at start. */
export function settingsToRecord(config: Config): Record<SettingName | typeof SERVER_KEK_ID, string> {
  return {
    [SERVER_KEK_ID]: config.secrets.keks[0]!.id,
    dynamic_registration: config.dynamicRegistration,
    issuer: config.issuer,
    access_token_ttl: String(config.ttl.accessToken),
    access_token_alg: config.accessTokenAlg,
    id_token_ttl: String(config.ttl.idToken),
    session_ttl: String(config.ttl.session),
    key_retention_margin: String(config.keys.retentionMargin),
  };
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
  /** A recorded count of seconds, or the CLI's own value if the record is not one. */
  const seconds = (name: SettingName, fallback: number, { allowZero = false } = {}): number => {
    const value = Number(pick(name));
    return Number.isInteger(value) && (value > 0 || (allowZero && value === 0)) ? value : fallback;
  };
  const issuer = pick('issuer');
  const alg = pick('access_token_alg');
  const registration = pick('dynamic_registration');
  return {
    config: {
      ...config,
      issuer,
      ttl: {
        ...config.ttl,
        accessToken: seconds('access_token_ttl', config.ttl.accessToken),
        idToken: seconds('id_token_ttl', config.ttl.idToken),
        session: seconds('session_ttl', config.ttl.session),
      },
      accessTokenAlg: (accessTokenAlgs as readonly string[]).includes(alg) ? (alg as AccessTokenAlg) : config.accessTokenAlg,
      keys: { ...config.keys, retentionMargin: seconds('key_retention_margin', config.keys.retentionMargin, { allowZero: true }) },
      dynamicRegistration: registration === 'open' || registration === 'token' || registration === 'off' ? registration : config.dynamicRegistration,
    },
    differing,
  };
}
