import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeList } from '#shared/api/route-table.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

describe('GET /v1/openapi.json', () => {
  it('serves a valid OpenAPI 3.1 document without an API key', async () => {
    const response = await rt.anonymous.get('/v1/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(response.body))).resolves.toBeDefined();
  });

  it('lists every route of the route table with its operation id', async () => {
    const { body } = await rt.anonymous.get('/v1/openapi.json');
    for (const route of routeList) {
      const operation = body.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.operationId).toBe(route.operationId);
    }
    const documented = Object.values(body.paths as Record<string, object>).flatMap((p) => Object.keys(p));
    expect(documented).toHaveLength(routeList.length);
  });

  it('documents request bodies, problem responses and the bearer scheme', async () => {
    const { body } = await rt.anonymous.get('/v1/openapi.json');
    const create = body.paths['/v1/projects'].post;
    expect(create.requestBody.content['application/json'].schema).toBeDefined();
    expect(create.responses['400'].content['application/problem+json']).toBeDefined();
    expect(create.security).toEqual([{ apiKey: [] }]);
    expect(create.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'Idempotency-Key' })]));
    const patch = body.paths['/v1/projects/{p}'].patch;
    expect(patch.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'If-Match' })]));
    expect(body.paths['/healthz'].get.security).toEqual([]);
    expect(body.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
