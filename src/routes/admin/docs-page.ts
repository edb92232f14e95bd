// The admin API reference page (/admin/docs): the OpenAPI document rendered on the server as plain
// HTML, with nothing loaded from other hosts and no script.
import type { ViewRenderer } from '../../ui/views.js';

type Json = Record<string, unknown>;

interface ParameterView {
  name: string;
  where: string;
  required: boolean;
  type: string;
  description: string;
}

interface OperationView {
  anchor: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  scope: string;
  parameters: ParameterView[];
  requestBody: string | undefined;
  responses: { status: string; description: string; schema: string | undefined }[];
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function typeOf(schema: Json): string {
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map(String).join(' | ');
  const type = Array.isArray(schema.type) ? (schema.type as string[]).join(' | ') : String(schema.type ?? 'string');
  const bounds = [schema.minimum !== undefined ? `≥ ${String(schema.minimum)}` : '', schema.maximum !== undefined && Number(schema.maximum) < 1e15 ? `≤ ${String(schema.maximum)}` : '']
    .filter(Boolean)
    .join(', ');
  return bounds ? `${type} (${bounds})` : type;
}

export function buildDocsModel(document: Json) {
  const info = document.info as { title: string; version: string; description: string };
  const servers = (document.servers as { url: string }[]).map((s) => s.url);
  const paths = document.paths as Record<string, Record<string, Json>>;
  const byTag = new Map<string, OperationView[]>();
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const content = (value: unknown) => ((value as { content?: { 'application/json'?: { schema?: unknown } } } | undefined)?.content?.['application/json']?.schema);
      const view: OperationView = {
        anchor: String(operation.operationId),
        method: method.toUpperCase(),
        path,
        summary: String(operation.summary ?? ''),
        description: String(operation.description ?? ''),
        scope: ((operation.security as Record<string, string[]>[] | undefined)?.[0]?.adminToken ?? []).join(' '),
        parameters: ((operation.parameters ?? []) as Json[]).map((p) => ({
          name: String(p.name),
          where: String(p.in),
          required: p.required === true,
          type: typeOf((p.schema ?? {}) as Json),
          description: String(p.description ?? ''),
        })),
        requestBody: operation.requestBody ? pretty(content(operation.requestBody)) : undefined,
        responses: Object.entries(operation.responses as Record<string, Json>).map(([status, response]) => {
          const schema = content(response);
          return { status, description: String(response.description ?? ''), schema: schema ? pretty(schema) : undefined };
        }),
      };
      const tag = ((operation.tags as string[] | undefined) ?? ['Other'])[0]!;
      byTag.set(tag, [...(byTag.get(tag) ?? []), view]);
    }
  }
  const components = ((document.components as Json).schemas ?? {}) as Record<string, unknown>;
  return {
    info,
    descriptionParagraphs: info.description.split('\n\n'),
    servers,
    tags: [...byTag].map(([name, operations]) => ({ name, operations })),
    schemas: Object.entries(components).map(([name, schema]) => ({ name, json: pretty(schema) })),
  };
}

export function createDocsRenderer(views: ViewRenderer, openApiDocument: () => Json) {
  let model: ReturnType<typeof buildDocsModel> | undefined;
  return (nonce: string) => {
    model ??= buildDocsModel(openApiDocument());
    return views.render('admin-docs', { nonce }, { title: model.info.title, doc: model });
  };
}
