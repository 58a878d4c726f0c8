/**
 * `npm run openapi`: renders the route table's OpenAPI document into the file that
 * functions/api/public.ts serves, and the typed client's types from it. Run it after
 * changing a route; the suite fails until both match the route table again.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OPENAPI_ARTIFACT, OPENAPI_PACKED_ARTIFACT, openApiArtifactText, openApiPackedText } from '#shared/api/openapi.ts';
import { CLIENT_TYPES, clientTypesText } from '../client/generate.ts';

const at = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
await writeFile(at(OPENAPI_ARTIFACT), openApiArtifactText());
console.log(`wrote ${OPENAPI_ARTIFACT}`);
await writeFile(at(OPENAPI_PACKED_ARTIFACT), openApiPackedText());
console.log(`wrote ${OPENAPI_PACKED_ARTIFACT}`);
await writeFile(at(CLIENT_TYPES), await clientTypesText());
console.log(`wrote ${CLIENT_TYPES}`);
