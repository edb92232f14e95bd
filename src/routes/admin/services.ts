// What the admin routes work with: the same services the CLI uses.
import type { AuditQuery, StoredAuditEvent } from '../../repositories/audit-events.js';
import type { ApiService } from '../../services/apis.js';
import type { ClientService } from '../../services/clients.js';
import type { RegistrationTokenService } from '../../services/registration-tokens.js';
import type { RoleService } from '../../services/roles.js';
import type { PublishedKeyInfo } from '../../services/signing-keys.js';
import type { UserAccessService } from '../../services/user-access.js';
import type { UserService } from '../../services/users.js';

export interface AdminServices {
  clients: ClientService;
  apis: ApiService;
  users: UserService;
  roles: RoleService;
  userAccess: UserAccessService;
  registrationTokens: RegistrationTokenService;
  /** With each key's state now (a successor becomes current at its activation, before anything is written). */
  listSigningKeys(): Promise<PublishedKeyInfo[]>;
  auditEvents: { query(query: AuditQuery): Promise<StoredAuditEvent[]> };
}
