// Types for the few oidc-provider modules Gatehouse reaches into (only from src/oidc/internals.ts).
declare module 'oidc-provider/lib/actions/introspection.js' {
  const steps: unknown[];
  export default steps;
}
declare module 'oidc-provider/lib/actions/revocation.js' {
  const steps: unknown[];
  export default steps;
}
declare module 'oidc-provider/lib/shared/reject_structured_tokens.js' {
  const step: unknown;
  export default step;
}
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  export default function initializeKeystore(this: unknown, jwks: { keys: unknown[] }): void;
}
declare module 'oidc-provider/lib/actions/registration.js' {
  export const put: unknown[];
}
declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  export default function validateDpop(provider: unknown, ctx: unknown, accessToken?: string): Promise<unknown>;
  export function checkDpopReplay(provider: unknown, ctx: unknown, dPoP: unknown, clientId: string, ErrorClass?: unknown): Promise<void>;
}
