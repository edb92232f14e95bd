// The admin API as a resource server of Gatehouse itself: its identifier follows the issuer, and
// admin clients get tokens for it through client_credentials.
export const ADMIN_READ = 'admin:read';
export const ADMIN_WRITE = 'admin:write';
export const ADMIN_SCOPES = [ADMIN_READ, ADMIN_WRITE] as const;

export function adminApiIdentifier(issuer: string): string {
  return `${issuer}/admin`;
}
