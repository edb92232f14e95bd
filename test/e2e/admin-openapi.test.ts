// The admin API's OpenAPI 3.1 document: valid against the OpenAPI schema; every operation it
// describes answers on the running server, and every admin route the server mounts is described;
// real answers validate against the documented schemas. And the reference page renders it without
// anything from other hosts.
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'chai';

import { adminApi, adminToken } from '../helpers/admin.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type Json = Record<string, unknown>;
type Operation = { operationId: string; responses: Record<string, { content?: { 'application/json': { schema: Json } } }>; parameters?: { name: string; in: string }[] };

describe('admin API OpenAPI document and reference page', () => {
  let server: TestServer;
  let document: Json;
  let operations: { method: string; path: string; operation: Operation }[];

  const fill = (path: string) =>
    path
      .replace('{client_id}', 'noSuchClient')
      .replace('{api}', encodeURIComponent('https://no-such-api.example.com'))
      .replace('{scope}', 'no:scope')
      .replace('{user}', 'no-such-user')
      .replace('{role}', 'no-such-role')
      .replace('{grant_id}', 'no-such-grant')
      .replace('{uid}', 'no-such-session')
      .replace('{id}', '00000000-0000-4000-8000-000000000000');

  before(async () => {
    server = await startTestServer();
    const response = await fetch(`${server.issuer}/admin/v1/openapi.json`);
    expect(response.status).to.equal(200);
    document = (await response.json()) as Json;
    operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ method, path, operation })),
    );
  });

  after(async () => server?.stop());

  it('is a valid OpenAPI 3.1 document, served without authentication', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(validator.version).to.equal('3.1');
    // The validator does catch a broken document (so the pass above means something).
    const broken = structuredClone(document) as Json & { paths: Record<string, Record<string, Json>> };
    broken.paths['/clients']!.get!.responses = { 200: { content: {} } };
    expect((await new Validator().validate(broken)).valid).to.equal(false);
    expect((document.servers as { url: string }[])[0]!.url).to.equal(`${server.issuer}/admin/v1`);
  });

  it('has JSON schemas that all compile (JSON Schema 2020-12)', () => {
    const ajv = validatorFor(document);
    for (const { operation } of operations) {
      for (const response of Object.values(operation.responses)) {
        const schema = response.content?.['application/json'].schema;
        if (schema) expect(() => ajv.compile(rebase(schema))).to.not.throw();
      }
    }
  });

  it('describes every admin route the server mounts, and nothing it does not', () => {
    const routers = (server.running.gatehouse.app.middleware as { router?: { stack: { path: string; methods: string[] }[] } }[])
      .map((m) => m.router)
      .filter((r): r is { stack: { path: string; methods: string[] }[] } => Boolean(r));
    const mounted = routers
      .flatMap((r) => r.stack)
      .filter((layer) => layer.path.startsWith('/admin/v1/') && !layer.path.includes('{*') && layer.path !== '/admin/v1/openapi.json')
      .flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${layer.path.slice('/admin/v1'.length).replace(/:([a-z_]+)/g, '{$1}')}`));
    const described = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect([...mounted].sort()).to.deep.equal([...described].sort());
    expect(described.length).to.be.greaterThanOrEqual(35);
  });

  it('every described operation answers on the server: 401 without a token, a documented status with one', async () => {
    const api = adminApi(server, await adminToken(server));
    for (const { method, path, operation } of operations) {
      const url = fill(path);
      const bare = await adminApi(server, undefined)(method.toUpperCase(), url);
      expect(bare.status, `${method} ${path}`).to.equal(401);
      const body = ['post', 'put', 'patch'].includes(method) ? {} : undefined;
      const answered = await api(method.toUpperCase(), url, body);
      expect(Object.keys(operation.responses), `${method} ${path} answered ${answered.status}`).to.include(String(answered.status));
    }
  });

  it('declares 413 for every operation with a body, and 503 and a default error answer for all', async () => {
    for (const { method, path, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      expect(statuses, `${method} ${path}`).to.include('503').and.include('default');
      if ((operation as { requestBody?: unknown }).requestBody) expect(statuses, `${method} ${path}`).to.include('413');
    }
    // And a body that is too large gets that documented answer, in the documented shape.
    const huge = { name: 'x'.repeat(300 * 1024) };
    const answer = await adminApi(server, await adminToken(server))('POST', '/roles', huge);
    expect(answer.status).to.equal(413);
    expect(answer.body).to.include({ code: 'payload_too_large' });
  });

  it('real answers validate against the documented response schemas', async () => {
    const ajv = validatorFor(document);
    const api = adminApi(server, await adminToken(server));
    const check = async (method: string, path: string, template: string, status: number, body?: unknown) => {
      const response = await api(method, path, body);
      expect(response.status, JSON.stringify(response.body)).to.equal(status);
      const operation = (document.paths as Record<string, Record<string, Operation>>)[template]![method.toLowerCase()]!;
      const validate = ajv.compile(rebase(operation.responses[String(status)]!.content!['application/json'].schema));
      expect(validate(response.body), `${method} ${template}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      return response.body;
    };
    await check('POST', '/roles', '/roles', 201, { name: 'staff' });
    const apiBody = (await check('POST', '/apis', '/apis', 201, { identifier: 'https://orders.example.com', scopes: [{ name: 'orders:read', roles: ['staff'] }] })) as Json;
    await check('GET', `/apis/${String(apiBody.id)}`, '/apis/{api}', 200);
    const client = (await check('POST', '/clients', '/clients', 201, { name: 'Web', redirect_uris: ['https://app.example.com/cb'], apis: ['https://orders.example.com'] })) as Json;
    await check('GET', '/clients', '/clients', 200);
    await check('POST', `/clients/${String(client.client_id)}/rotate-secret`, '/clients/{client_id}/rotate-secret', 200, { overlap_seconds: 60 });
    await check('POST', '/users', '/users', 201, { username: 'dora', roles: ['staff'] });
    await check('GET', '/users?role=staff', '/users', 200);
    await check('GET', '/users/dora/grants', '/users/{user}/grants', 200);
    await check('GET', '/users/dora/sessions', '/users/{user}/sessions', 200);
    await check('POST', '/registration-tokens', '/registration-tokens', 201, { max_uses: 1 });
    await check('GET', '/signing-keys', '/signing-keys', 200);
    await check('POST', '/clients', '/clients', 400, { name: 'Bad', redirect_uris: ['http://evil.example.com/cb'] });
    await check('GET', '/clients/noSuchClient', '/clients/{client_id}', 404);
  });

  it('serves a readable reference page with every operation and nothing from other hosts', async () => {
    const response = await fetch(`${server.issuer}/admin/docs`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.include('text/html');
    expect(response.headers.get('content-security-policy')).to.include("default-src 'none'");
    const html = await response.text();
    for (const { method, path, operation } of operations) {
      expect(html).to.include(`id="${operation.operationId}"`);
      expect(html).to.include(`${method.toUpperCase()} ${path}`);
    }
    expect(html).to.include('Gatehouse Admin API');
    expect(html).to.not.match(/<script/i);
    expect(html).to.not.match(/<link[^>]+href="https?:/i);
    const external = [...html.matchAll(/(?:src|href)="(https?:[^"]+)"/g)].map((m) => m[1]!).filter((url) => !url.startsWith(server.issuer));
    expect(external).to.deep.equal([]);
  });
});

/** A JSON Schema 2020-12 validator knowing the document's components as "doc". */
function validatorFor(document: Json): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: 'doc', components: (document as { components: Json }).components } as Json);
  return ajv;
}

/** Points the document's component references at the schema registered as "doc". */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as Json;
}
