// Every admin API operation, in the order the reference lists them.
import { apiRoutes } from './api-routes.js';
import { auditRoutes } from './audit-routes.js';
import { clientRoutes } from './client-routes.js';
import { registrationTokenRoutes, roleRoutes, signingKeyRoutes } from './role-routes.js';
import type { AdminRoute } from './route-spec.js';
import type { AdminServices } from './services.js';
import { userRoutes } from './user-routes.js';

export const ADMIN_API_PREFIX = '/admin/v1';

export function adminRoutes(services: AdminServices): AdminRoute[] {
  return [
    ...clientRoutes(services),
    ...apiRoutes(services),
    ...userRoutes(services),
    ...roleRoutes(services),
    ...registrationTokenRoutes(services),
    ...signingKeyRoutes(services),
    ...auditRoutes(services),
  ];
}
