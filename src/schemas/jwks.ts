// A client's public keys given inline (instead of a jwks_uri): for private_key_jwt, signed request
// objects and FAPI clients. Private key members are refused so that a key cannot leak through here.
import { z } from 'zod';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

const publicJwkSchema = z
  .looseObject({
    kty: z.enum(['RSA', 'EC', 'OKP']),
    kid: z.string().max(200).optional(),
    use: z.enum(['sig']).optional(),
    alg: z.string().max(20).optional(),
  })
  .refine((jwk) => PRIVATE_MEMBERS.every((member) => !(member in jwk)), 'must be a public key: private key members (d, p, q, ...) are not accepted');

export const publicJwksSchema = z
  .strictObject({ keys: z.array(publicJwkSchema).min(1).max(10) })
  .meta({ description: 'The client\'s public signing keys as a JWK Set (alternative to jwksUri).' });

export type PublicJwks = z.infer<typeof publicJwksSchema>;
