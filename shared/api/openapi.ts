import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { routeList, type RouteSpec } from './route-table.ts';
import * as z from 'zod';
import { problem } from './schema-kit.ts';

const errorStatuses: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict, invalid_state, quota_exceeded or idempotency_conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

let cached: object | undefined;

const idempotencyKey = z.string().min(1).max(255).optional().meta({
  description: 'A repeat with the same key and body within 24 h returns the first response; another body → 409 idempotency_conflict',
});
const ifMatch = z.string().optional().meta({ description: '`"<version>"`: the change applies only to that version (else 412)' });

/** Changes of an existing resource take If-Match; creates take an Idempotency-Key instead. */
const changesExisting = (route: RouteSpec) => route.method !== 'GET' && !route.idempotent;

function headersOf(route: RouteSpec) {
  const headers: Record<string, z.ZodType> = { ...route.headers?.shape };
  if (route.idempotent) headers['Idempotency-Key'] = idempotencyKey;
  if (changesExisting(route) && route.permission !== 'public') headers['If-Match'] = ifMatch;
  return Object.keys(headers).length ? z.object(headers) : undefined;
}

/**
 * Where `npm run openapi` writes the document (relative to the repository root). The
 * public function serves that file, so that it bundles no route schemas; a test fails
 * when the file falls behind the route table.
 */
export const OPENAPI_ARTIFACT = 'shared/api/openapi.generated.json';

/** The artifact's exact text. */
export const openApiArtifactText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

/** The OpenAPI 3.1 document, generated from the route table (once per process). */
export function openApiDocument(): object {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key: `Authorization: Bearer <key>`',
  });
  for (const route of routeList) {
    const responses: Record<string, { description: string; content?: Record<string, { schema: never }> }> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? {
              content: {
                [spec.contentType ?? 'application/json']: { schema: spec.schema as never },
                ...Object.fromEntries((spec.also ?? []).map((alt) => [alt.contentType, { schema: alt.schema as never }])),
              },
            }
          : {}),
      };
    }
    const errors = Object.entries(errorStatuses).filter(([status]) => {
      if (route.permission === 'public') return status === '400' || (route.publicErrors ?? []).includes(Number(status));
      if (status === '413' || status === '415') return route.body !== undefined;
      return true;
    });
    for (const [status, codes] of errors) {
      responses[status] = { description: codes, content: { 'application/problem+json': { schema: problem as never } } };
    }
    registry.registerPath({
      method: route.method.toLowerCase() as 'get',
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.group],
      security: route.permission === 'public' ? [] : [{ apiKey: [] }],
      description: route.permission === 'public' ? (route.rawBody ? 'No API key: the request is authenticated by its signature.' : 'No API key needed.') : `Requires ${route.permission}.`,
      request: {
        params: route.params,
        query: route.query,
        headers: headersOf(route),
        ...(route.body ? { body: { required: !route.rawBody, content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses,
    });
  }
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Palette-style Kubernetes platform API',
      version: '1.0.0',
      description: 'Tenancy, Cluster Mode and App Mode over one HTTP API. Errors are application/problem+json.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/' }],
  });
  return cached;
}
