import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRouteMatcher } from '#infra/local/route-matcher.ts';
import { routeList } from '#shared/api/route-table.ts';
import { parseIfMatch } from '#shared/http/api-handler.ts';
import { fieldErrors } from '#shared/http/field-errors.ts';
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
        { path: 'pools.0.count', message: expect.any(String) },
        { path: 'pools.0.extra', message: 'unknown field' },
        { path: 'bogus', message: 'unknown field' },
      ]),
    );
    const whole = z.object({}).safeParse(undefined);
    expect(fieldErrors(whole.error!.issues, 'body')[0]!.path).toBe('body');
  });
});

describe('cursors', () => {
  const partition = { attribute: 'pk', value: 'TENANT#t1' };

  it('round-trips a last evaluated key', () => {
    const cursor = encodeCursor({ pk: 'TENANT#t1', sk: 'USER#u1' })!;
    expect(decodeCursor(cursor, partition)).toEqual({ pk: 'TENANT#t1', sk: 'USER#u1' });
    expect(encodeCursor(undefined)).toBeNull();
  });

  it('refuses garbage, non-string keys, other partitions and keys outside the list', () => {
    const bad = (cursor: string, within?: (k: Record<string, string>) => boolean) => () => decodeCursor(cursor, partition, within);
    expect(bad('***')).toThrowError(/cursor/);
    expect(bad(Buffer.from('[1]').toString('base64url'))).toThrowError(/cursor/);
    expect(bad(Buffer.from(JSON.stringify({ pk: 'TENANT#t1', sk: 5 })).toString('base64url'))).toThrowError(/cursor/);
    expect(bad(encodeCursor({ pk: 'TENANT#t2', sk: 'USER#u1' })!)).toThrowError(/cursor/);
    expect(bad(encodeCursor({ pk: 'TENANT#t1', sk: 'TEAM#x' })!, (k) => k.sk!.startsWith('USER#'))).toThrowError(/cursor/);
  });
});
