// The per-client FAPI 2.0 Security Profile switch (client metadata fapi_profile: "2.0"). What the
// library enforces for a FAPI 2.0 client (PKCE S256, client assertion audience = issuer, exact
// redirect URI) comes from its fapi feature; the rest is in the client's stored registration
// (schemas/client.ts: private_key_jwt, PAR and DPoP forced on) and the code lifetime here.
/** Gatehouse-only client metadata naming the security profile a client is held to. */
export const FAPI_CLIENT_PROPERTY = 'fapi_profile';
/** FAPI 2.0 Security Profile §5.3.2.1: authorization codes live no longer than 60 seconds. */
export const FAPI_MAX_CODE_TTL = 60;

type ClientLike = { [FAPI_CLIENT_PROPERTY]?: unknown } | undefined;

export function fapiProfileOf(_ctx: unknown, client: ClientLike): '2.0' | undefined {
  return client?.[FAPI_CLIENT_PROPERTY] === '2.0' ? '2.0' : undefined;
}

export function fapiCodeTtl(client: unknown, configured: number): number {
  return fapiProfileOf(undefined, client as ClientLike) ? Math.min(configured, FAPI_MAX_CODE_TTL) : configured;
}
