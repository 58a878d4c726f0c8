import * as z from 'zod';
import { featureRoutes, ok } from './route-kit.ts';

export const health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

/** The routes that need no API key and touch no data. */
export const publicRoutes = featureRoutes('public', {
  'health.get': {
    method: 'GET', path: '/healthz', permission: 'public', resourceType: 'health',
    summary: 'Liveness check', responses: ok(health),
  },
  'openapi.get': {
    method: 'GET', path: '/v1/openapi.json', permission: 'public', resourceType: 'openapi',
    summary: 'This API as an OpenAPI 3.1 document', responses: ok(z.record(z.string(), z.unknown())),
  },
});
