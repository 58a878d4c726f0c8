import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPENAPI_ARTIFACT, OPENAPI_PACKED_ARTIFACT, openApiArtifactText, openApiDocument, openApiPackedText } from '#shared/api/openapi.ts';
import { repoRoot } from '#infra/aws/function-defaults.ts';

describe('the served OpenAPI document', () => {
  it(`is the route table's: ${OPENAPI_ARTIFACT} is what openApiDocument() renders (after a route change: npm run openapi)`, async () => {
    const committed = await readFile(join(repoRoot, OPENAPI_ARTIFACT), 'utf8');
    // Compared as documents first, for a readable diff of what drifted; then as text.
    expect(JSON.parse(committed), `${OPENAPI_ARTIFACT} is stale: run npm run openapi`).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(committed === openApiArtifactText(), `${OPENAPI_ARTIFACT} is not formatted as npm run openapi writes it`).toBe(true);
  });

  it(`is served packed: ${OPENAPI_PACKED_ARTIFACT} is that document, minified and gzip'd (after a route change: npm run openapi)`, async () => {
    const committed = await readFile(join(repoRoot, OPENAPI_PACKED_ARTIFACT), 'utf8');
    expect(committed === openApiPackedText(), `${OPENAPI_PACKED_ARTIFACT} is stale: run npm run openapi`).toBe(true);
  });
});
