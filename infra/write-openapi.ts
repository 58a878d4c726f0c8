/**
 * `npm run openapi`: renders the route table's OpenAPI document into the file that
 * functions/api/public.ts serves. Run it after changing a route; the suite fails until
 * the file matches the route table again.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OPENAPI_ARTIFACT, openApiArtifactText } from '#shared/api/openapi.ts';

const file = fileURLToPath(new URL(`../${OPENAPI_ARTIFACT}`, import.meta.url));
await writeFile(file, openApiArtifactText());
console.log(`wrote ${OPENAPI_ARTIFACT}`);
