/**
 * Cluster profile variables: checking the values a cluster gives against a profile's
 * declarations, and putting them into layer values and manifests.
 *
 * Template syntax (both forms, whitespace inside the braces is free):
 *
 *   {{ .spectro.var.NAME }}   Palette's own form, so profiles written for Palette work
 *   {{ var.NAME }}            the short form
 *
 * Only plain references are supported (no pipes or functions).
 */
import type { RE2JS } from 're2js';
import { validationFailed, type FieldError } from '../errors.ts';

export type VariableFormat = 'string' | 'number' | 'boolean';

/** A profile's declaration of one variable (the shape of `variables[]` in a profile). */
export interface ProfileVariable {
  name: string;
  /** Default `string`. */
  format?: VariableFormat;
  default?: string | number | boolean;
  /** Default false. */
  required?: boolean;
  /** An RE2 regular expression the value must match (unanchored: anchor it with ^…$ for a full match). */
  regex?: string;
}

export const VARIABLE_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_VARIABLE_VALUE_LENGTH = 4096;
const NUMERIC = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The longest regex a profile may declare: matching is linear, but compiling is not free. */
export const MAX_VARIABLE_REGEX_LENGTH = 512;

let re2: typeof RE2JS | undefined;

/**
 * RE2 (147 KiB) loads with the first regex a request checks, not at a function's init:
 * most requests, every GET among them, never check one. The Lambda functions that do
 * carry re2js beside their bundle (infra/aws/function-defaults.ts, PACKAGES_BESIDE_BUNDLE).
 */
async function regexEngine(): Promise<typeof RE2JS> {
  return (re2 ??= (await import('re2js')).RE2JS);
}

/**
 * The compiled regex, or undefined when the source is not a valid RE2 expression.
 * Patterns come from users and are matched against values from users, so they run on
 * RE2 (no backtracking: linear in the input, whatever the pattern), never on RegExp,
 * where `(a+)+$` against forty `a`s and a `!` blocks the event loop for minutes.
 */
export async function compileVariableRegex(source: string): Promise<RE2JS | undefined> {
  if (source.length > MAX_VARIABLE_REGEX_LENGTH) return undefined;
  const engine = await regexEngine();
  try {
    return engine.compile(source);
  } catch {
    return undefined;
  }
}

/**
 * Checks one value (given by a cluster, or a profile's default) against a declaration:
 * `{ value }` as the string it renders to, or `{ problem }` with the message.
 */
export async function checkVariableValue(
  variable: ProfileVariable,
  value: unknown,
): Promise<{ value: string; problem?: undefined } | { problem: string; value?: undefined }> {
  let text: string;
  switch (variable.format ?? 'string') {
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else if (typeof value === 'string' && NUMERIC.test(value)) text = value;
      else return { problem: 'must be a number' };
      break;
    case 'boolean':
      if (typeof value === 'boolean') text = String(value);
      else if (value === 'true' || value === 'false') text = value;
      else return { problem: 'must be true or false' };
      break;
    default:
      if (typeof value !== 'string') return { problem: 'must be a string' };
      text = value;
  }
  if (text.length > MAX_VARIABLE_VALUE_LENGTH) return { problem: `must be at most ${MAX_VARIABLE_VALUE_LENGTH} characters` };
  if (variable.regex !== undefined) {
    const regex = await compileVariableRegex(variable.regex);
    if (!regex) return { problem: `the profile's regex ${variable.regex} does not compile` };
    if (!regex.test(text)) return { problem: `must match ${variable.regex}` };
  }
  return { value: text };
}

/**
 * The values of every declared variable: the given value, else the default, else ''
 * for an optional variable. Throws validation_failed listing every problem at
 * `variables.<name>`: `required` (no value and no default), `unknown variable`,
 * a wrong format or a regex mismatch.
 */
export async function resolveProfileVariables(
  variables: ProfileVariable[],
  given: Record<string, unknown>,
): Promise<{ values: Record<string, string> }> {
  const problems: FieldError[] = [];
  const values: Record<string, string> = {};
  const declared = new Set(variables.map((v) => v.name));
  for (const variable of variables) {
    const supplied = Object.hasOwn(given, variable.name) && given[variable.name] !== undefined;
    const raw = supplied ? given[variable.name] : variable.default;
    if (raw === undefined) {
      if (variable.required) problems.push({ path: `body.variables.${variable.name}`, message: 'required' });
      else values[variable.name] = '';
      continue;
    }
    const checked = await checkVariableValue(variable, raw);
    if (checked.problem !== undefined) {
      problems.push({
        path: `body.variables.${variable.name}`,
        message: supplied ? checked.problem : `the default ${checked.problem}`,
      });
    } else {
      values[variable.name] = checked.value;
    }
  }
  for (const name of Object.keys(given)) {
    if (!declared.has(name)) problems.push({ path: `body.variables.${name}`, message: 'unknown variable' });
  }
  if (problems.length) throw validationFailed('the variables do not satisfy the cluster profile', problems);
  return { values };
}

const REFERENCE = /\{\{\s*(?:\.spectro\.var|var)\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

/** The variable names a text refers to, each once, in order of first use. */
export function templateVariableNames(text: string): string[] {
  return [...new Set([...text.matchAll(REFERENCE)].map((m) => m[1]!))];
}

/**
 * Replaces `{{ .spectro.var.NAME }}` and `{{ var.NAME }}` with the values. A reference
 * to a name without a value is a validation_failed at `variables.<name>`: profiles are
 * checked for undeclared references when created, so this means the caller skipped
 * resolveProfileVariables.
 */
export function renderTemplate(text: string, values: Record<string, string>): string {
  const missing = templateVariableNames(text).filter((name) => !Object.hasOwn(values, name));
  if (missing.length) {
    throw validationFailed(
      'the template refers to variables without a value',
      missing.map((name) => ({ path: `body.variables.${name}`, message: 'undeclared variable' })),
    );
  }
  return text.replace(REFERENCE, (_match, name: string) => values[name]!);
}
