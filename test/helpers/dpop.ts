// Hand-made DPoP proofs (RFC 9449), so that tests can get every part of one wrong on purpose.
import { createHash, randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface DpopKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicKey, publicJwk: await exportJWK(publicKey) };
}

export interface ProofOptions {
  htm?: string | undefined;
  htu?: string | undefined;
  iat?: number | undefined;
  jti?: string | undefined;
  ath?: string | undefined;
  nonce?: string | undefined;
  /** Put something else than the public key in the header. */
  jwk?: JWK;
  omit?: ('htm' | 'htu' | 'iat' | 'jti')[];
}

export async function dpopProof(key: DpopKey, method: string, url: string, options: ProofOptions = {}): Promise<string> {
  const payload: Record<string, unknown> = {
    htm: options.htm ?? method,
    htu: options.htu ?? url,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    jti: options.jti ?? randomUUID(),
    ...(options.ath ? { ath: options.ath } : {}),
    ...(options.nonce ? { nonce: options.nonce } : {}),
  };
  for (const claim of options.omit ?? []) delete payload[claim];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: options.jwk ?? key.publicJwk }).sign(key.privateKey);
}

/** An unsigned proof (alg none), which must never be accepted. */
export function unsignedProof(key: DpopKey, method: string, url: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk });
  const payload = encode({ htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: randomUUID() });
  return `${header}.${payload}.`;
}

export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}
