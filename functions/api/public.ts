import { createApiHandler } from '#shared/http/api-handler.ts';
import { gunzipSync } from 'node:zlib';
import { publicRoutes } from '#shared/api/public-routes.ts';

let document: unknown;

export const handler = createApiHandler(publicRoutes, {
  'health.get': async () => ({ status: 200, body: { status: 'ok' } }),
  // Rendered from the route table by `npm run openapi` (packed: gzip'd JSON), so this function
  // bundles none of the route schemas; unpacked on the first request for it, not on every cold start.
  'openapi.get': async () => {
    document ??= JSON.parse(gunzipSync(Buffer.from((await import('#shared/api/openapi.generated.packed.ts')).packedOpenApi, 'base64')).toString('utf8'));
    return { status: 200, body: document };
  },
});
