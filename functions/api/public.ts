import { createApiHandler } from '#shared/http/api-handler.ts';
import { publicRoutes } from '#shared/api/public-routes.ts';

export const handler = createApiHandler(publicRoutes, {
  'health.get': async () => ({ status: 200, body: { status: 'ok' } }),
  // Rendered from the route table by `npm run openapi`, so this function bundles none of
  // the route schemas; loaded on the first request for it, not on every cold start.
  'openapi.get': async () => ({
    status: 200,
    body: (await import('#shared/api/openapi.generated.json', { with: { type: 'json' } })).default,
  }),
});
