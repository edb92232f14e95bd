// Concurrent lookups of one JWT access token (introspection asks as two models at once) share a
// single signature verification; a later lookup verifies again (nothing is cached after the answer).
import { expect } from 'chai';
import { generateKeyPair, SignJWT } from 'jose';

import { AccessTokenVerifier } from '../../src/oidc/access-token-verifier.js';
import type { KeyRing } from '../../src/services/key-ring.js';
import type { RevocationList } from '../../src/services/revocation-list.js';

const ISSUER = 'https://issuer.example.com';

describe('access-token verifier', () => {
  it('verifies a token once for concurrent lookups, and again for a later one', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    let keyLookups = 0;
    const keys = {
      verificationKey: () => {
        keyLookups += 1;
        return { alg: 'ES256', key: publicKey };
      },
    } as unknown as KeyRing;
    const revocations = { isRevoked: () => false } as unknown as RevocationList;
    const verifier = new AccessTokenVerifier({ issuer: ISSUER, keys, revocations, clockToleranceSeconds: 5 });
    const token = await new SignJWT({ client_id: 'c1', scope: 'a:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience('https://api.example.com')
      .setSubject('c1')
      .setJti('j1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

    const [a, b] = await Promise.all([verifier.verify(token), verifier.verify(token)]);
    expect(a?.jti).to.equal('j1');
    expect(b).to.equal(a);
    expect(keyLookups).to.equal(1);

    expect((await verifier.verify(token))?.jti).to.equal('j1');
    expect(keyLookups).to.equal(2);
  });
});
