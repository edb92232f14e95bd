// What the bench tells the baseline server: where to listen, which keys and clients to use.
export interface BaselineSettings {
  port: number;
  issuer: string;
  /** The private JWKs Gatehouse signs with (ES256 access tokens, RS256 ID tokens). */
  keys: object[];
  api: string;
  scope: string;
  machine: { clientId: string; clientSecret: string };
  resourceServer: { clientId: string; clientSecret: string };
}

/** The resource whose client-credentials tokens are opaque: bare oidc-provider introspects only those. */
export const opaqueResource = (api: string) => `${api}/opaque`;
