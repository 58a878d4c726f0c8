import { z } from '../schema-kit.ts';
import { ok, route, type RouteSpec } from '../route-kit.ts';
import * as p from '../platform-schemas.ts';

export const publicRoutes = {
  // Public
  'health.get': route({
    method: 'GET', path: '/healthz', group: 'public', permission: 'public', resourceType: 'health',
    summary: 'Liveness check', responses: ok(p.health),
  }),
  'openapi.get': route({
    method: 'GET', path: '/v1/openapi.json', group: 'public', permission: 'public', resourceType: 'openapi',
    summary: 'This API as an OpenAPI 3.1 document', responses: ok(z.record(z.string(), z.unknown())),
  }),
} satisfies Record<string, RouteSpec>;
