import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createRouteMatcher } from '#infra/local/route-matcher.ts';
import { routeList } from '#shared/api/route-table.ts';
import { parseIfMatch } from '#shared/http/api-handler.ts';
import { fieldErrors } from '#shared/http/field-errors.ts';
import { lists } from '#shared/store/keys.ts';
import { decodeCursor, encodeCursor } from '#shared/store/pagination.ts';
import { ApiError } from '#shared/errors.ts';

describe('the local route matcher', () => {
  const match = createRouteMatcher(routeList);

  it('prefers a literal segment over a parameter, as API Gateway does', () => {
    const found = match('POST', '/v1/projects/default/clusters/import');
    expect(found && 'route' in found && found.route.path).toBe('/v1/projects/{p}/clusters/import');
    const byId = match('GET', '/v1/projects/default/clusters/cl_01AAAAAAAAAAAAAAAAAAAAAAAA');
    expect(byId && 'route' in byId && byId.pathParameters).toEqual({ p: 'default', id: 'cl_01AAAAAAAAAAAAAAAAAAAAAAAA' });
  });

  it('decodes path parameters and tells a wrong method from an unknown path', () => {
    const found = match('GET', '/v1/projects/my%20project');
    expect(found && 'route' in found && found.pathParameters).toEqual({ p: 'my project' });
    expect(match('PUT', '/v1/projects')).toEqual({ methodNotAllowed: true });
    expect(match('GET', '/v1/nothing')).toBeUndefined();
  });
});

describe('If-Match', () => {
  it('reads strong, weak and bare versions and treats * as any', () => {
    expect(parseIfMatch('"3"')).toBe(3);
    expect(parseIfMatch('W/"12"')).toBe(12);
    expect(parseIfMatch('7')).toBe(7);
    expect(parseIfMatch('*')).toBeUndefined();
    expect(parseIfMatch(undefined)).toBeUndefined();
  });

  it('answers precondition_failed for a value that names no version', () => {
    expect(() => parseIfMatch('"abc"')).toThrowError(ApiError);
    try {
      parseIfMatch('"abc"');
    } catch (error) {
      expect((error as ApiError).code).toBe('precondition_failed');
    }
  });
});

describe('field errors', () => {
  it('gives dotted paths, one entry per unknown field, and the root name for the whole body', () => {
    const schema = z.strictObject({ pools: z.array(z.strictObject({ count: z.number() })) });
    const result = schema.safeParse({ pools: [{ count: 'x', extra: 1 }], bogus: true });
    expect(result.success).toBe(false);
    const errors = fieldErrors(result.error!.issues, 'body');
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: 'body.pools.0.count', message: expect.any(String) },
        { path: 'body.pools.0.extra', message: 'unknown field' },
        { path: 'body.bogus', message: 'unknown field' },
      ]),
    );
    const whole = z.object({}).safeParse(undefined);
    expect(fieldErrors(whole.error!.issues, 'body')[0]!.path).toBe('body');
  });
});

describe('cursors', () => {
  const users = lists.users('t1');
  const tenants = lists.tenants();
  const encoded = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

  it('round-trips a last evaluated key', () => {
    const cursor = encodeCursor({ pk: 'TENANT#t1', sk: 'USER#u1' })!;
    expect(decodeCursor(cursor, users)).toEqual({ pk: 'TENANT#t1', sk: 'USER#u1' });
    const indexCursor = encodeCursor({ pk: 'TENANT#t9', sk: '#TENANT', gsi1pk: 'TENANTS', gsi1sk: 't9' })!;
    expect(decodeCursor(indexCursor, tenants)).toEqual({ pk: 'TENANT#t9', sk: '#TENANT', gsi1pk: 'TENANTS', gsi1sk: 't9' });
    expect(encodeCursor(undefined)).toBeNull();
  });

  it('refuses anything but exactly the key attributes the list issues, in its partition and range', () => {
    const bad = (cursor: string, list = users) => () => decodeCursor(cursor, list);
    expect(bad('***')).toThrowError(/cursor/);
    expect(bad(encoded([1]))).toThrowError(/cursor/);
    expect(bad(encoded({ pk: 'TENANT#t1', sk: 5 }))).toThrowError(/cursor/);
    expect(bad(encodeCursor({ pk: 'TENANT#t2', sk: 'USER#u1' })!)).toThrowError(/cursor/);
    expect(bad(encodeCursor({ pk: 'TENANT#t1', sk: 'TEAM#x' })!)).toThrowError(/cursor/);
    // One key too many, or one missing: DynamoDB would reject the query (a 500 before).
    expect(bad(encodeCursor({ pk: 'TENANT#t1', sk: 'USER#u1', gsi1pk: 'x' })!)).toThrowError(/cursor/);
    expect(bad(encodeCursor({ sk: '#TENANT', gsi1pk: 'TENANTS', gsi1sk: 't9' })!, tenants)).toThrowError(/cursor/);
    expect(bad(encodeCursor({ pk: 'TENANT#t1', sk: 'USER#u1' })!, tenants)).toThrowError(/cursor/);
    expect(bad(encoded({ pk: 'TENANT#t1', sk: 'USER#\ud800' }))).toThrowError(/cursor/);
    try {
      bad('***')();
    } catch (error) {
      expect((error as ApiError).errors).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
    }
  });
});
