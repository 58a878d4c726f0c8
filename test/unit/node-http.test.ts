import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import http, { STATUS_CODES } from '#shared/lambda/node-http.ts';

describe('node:http for the Lambda bundles', () => {
  it("is Node's own http module, so middy's errors keep their status titles", () => {
    const nodeHttp = createRequire(import.meta.url)('node:http') as typeof http;
    expect(http).toBe(nodeHttp);
    expect(STATUS_CODES).toBe(nodeHttp.STATUS_CODES);
    expect(STATUS_CODES[415]).toBe('Unsupported Media Type');
  });
});
