// Every migration, in order. Listed here (not discovered on disk) so the same code runs from
// TypeScript sources and from the compiled build.
import type { Knex } from 'knex';

import * as core from './20261128000000_core.js';
import * as auditAndRateLimits from './20261128010000_audit_and_rate_limits.js';
import * as twoStepSignIn from './20261128100000_two_step_sign_in.js';
import * as registrationAndRoles from './20261128110000_registration_and_roles.js';
import * as keyLifecycleAndHashedTokenIds from './20261128120000_key_lifecycle_and_hashed_token_ids.js';
import * as auditQueryIndexes from './20261128130000_audit_query_indexes.js';
import * as janitorIndexes from './20261128140000_janitor_indexes.js';
import * as serverSettings from './20261129000000_server_settings.js';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const migrations: readonly Migration[] = [
  { name: '20261128000000_core', ...core },
  { name: '20261128010000_audit_and_rate_limits', ...auditAndRateLimits },
  { name: '20261128100000_two_step_sign_in', ...twoStepSignIn },
  { name: '20261128110000_registration_and_roles', ...registrationAndRoles },
  { name: '20261128120000_key_lifecycle_and_hashed_token_ids', ...keyLifecycleAndHashedTokenIds },
  { name: '20261128130000_audit_query_indexes', ...auditQueryIndexes },
  { name: '20261128140000_janitor_indexes', ...janitorIndexes },
  { name: '20261129000000_server_settings', ...serverSettings },
];
