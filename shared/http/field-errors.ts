import type { z } from 'zod';
import type { FieldError } from '../errors.ts';

/**
 * zod issues → API.md `errors[]`: dotted paths from the part of the request they
 * concern (`body.nodePools.0.count`, `query.cursor`, `path.id`), one entry per unknown
 * field.
 */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], rootName: string): FieldError[] {
  const join = (path: readonly PropertyKey[]) => [rootName, ...path.map(String)].join('.');
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'unknown field' }));
    }
    return [{ path: join(issue.path), message: issue.message }];
  });
}

/**
 * The paths of strings in a parsed JSON body that are not well-formed UTF-16 (a lone
 * surrogate written as `\ud800`): they cannot be stored or keyed faithfully, so they
 * are refused wherever they appear, keys included.
 */
export function malformedStrings(value: unknown, path = 'body', found: FieldError[] = []): FieldError[] {
  if (found.length >= 20) return found;
  if (typeof value === 'string') {
    if (!value.isWellFormed()) found.push({ path, message: 'contains a lone surrogate (not valid Unicode text)' });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => malformedStrings(item, `${path}.${i}`, found));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) found.push({ path: `${path}.${key.toWellFormed()}`, message: 'the field name contains a lone surrogate (not valid Unicode text)' });
      malformedStrings(item, `${path}.${key.toWellFormed()}`, found);
    }
  }
  return found;
}
