import type { z } from 'zod';
import type { FieldError } from '../errors.ts';

/**
 * zod issues → API.md `errors[]`: dotted paths relative to the part of the request
 * they concern (`nodePools.0.count`), one entry per unknown field.
 */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], rootName: string): FieldError[] {
  const join = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : rootName);
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'unknown field' }));
    }
    return [{ path: join(issue.path), message: issue.message }];
  });
}
