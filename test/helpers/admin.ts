// Talks to the admin API like a script would: an admin client, a client_credentials token for
// the admin API, and JSON requests with that bearer token.
import type { TestServer } from './test-server.js';

export interface AdminClient {
  clientId: string;
  clientSecret: string;
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function createAdminClient(server: TestServer, scope?: string): Promise<AdminClient> {
  const { client, clientSecret } = await server.core.clients.create({ name: 'Admin automation', isAdmin: true, scope });
  return { clientId: client.clientId, clientSecret: clientSecret! };
}

export async function clientCredentialsToken(server: TestServer, client: AdminClient, params: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!body.access_token) throw new Error(`no token: ${response.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  return body.access_token;
}

export async function adminToken(server: TestServer, scope = 'admin:read admin:write'): Promise<string> {
  const client = await createAdminClient(server);
  return clientCredentialsToken(server, client, { scope, resource: server.core.adminApi });
}

export function adminApi(server: TestServer, token: string | undefined) {
  return async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> => {
    const response = await fetch(`${server.issuer}/admin/v1${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
}
