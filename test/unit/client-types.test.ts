import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '#infra/aws/function-defaults.ts';
import { CLIENT_TYPES, clientTypesText } from '../../client/generate.ts';

describe('the typed client', () => {
  it(`has the types of the served OpenAPI document: ${CLIENT_TYPES} is what openapi-typescript generates from it (after a route change: npm run openapi)`, async () => {
    const committed = await readFile(join(repoRoot, CLIENT_TYPES), 'utf8');
    expect(committed === (await clientTypesText()), `${CLIENT_TYPES} drifted from /v1/openapi.json: run npm run openapi`).toBe(true);
  });
});
