// Signing-key rotation keeps at most one waiting successor per algorithm; and oidc-provider's
// artefacts are keyed by the SHA-256 of their value, with no copy of it in the payload.
import type { Knex } from 'knex';

// The same hash as services/token-ids.ts: base64url(sha256(id)), without padding.
const HASHED_ID = "translate(rtrim(encode(sha256(convert_to(id, 'UTF8')), 'base64'), '='), '+/', '-_')";

export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE state = 'next'");
  // Sessions and device codes would need their id sealed under the KEK, which migrations do not
  // hold; interactions hold copies of cookie values. All three are short-lived or re-creatable
  // (users sign in again): they go. Everything else is re-keyed in place.
  await knex('oidc_models').whereIn('model', ['Session', 'Interaction', 'DeviceCode']).delete();
  await knex('oidc_models').whereNot('model', 'Grant').update({ id: knex.raw(HASHED_ID), payload: knex.raw("payload - 'jti'") });
  await knex('oidc_models').where('model', 'Grant').update({ payload: knex.raw("payload - 'jti'") });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS signing_keys_one_next');
  // Hashed ids cannot be turned back into token values: those artefacts are unusable to older code.
  await knex('oidc_models').whereNot('model', 'Grant').delete();
  await knex('oidc_models').where('model', 'Grant').update({ payload: knex.raw("jsonb_set(payload, '{jti}', to_jsonb(id))") });
}
