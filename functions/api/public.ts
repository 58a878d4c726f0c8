import { createApiHandler } from '#shared/http/api-handler.ts';
import { publicRoutes } from '#shared/api/public-routes.ts';
import { openApiDocument } from '#shared/api/openapi.ts';

export const handler = createApiHandler(publicRoutes, {
  'health.get': async () => ({ status: 200, body: { status: 'ok' } }),
  'openapi.get': async () => ({ status: 200, body: openApiDocument() }),
});
