/**
 * js-yaml, loaded on its first use. The Lambda bundles leave it out and ship it beside
 * themselves (PACKAGES_BESIDE_BUNDLE in infra/aws/function-defaults.ts), so a cold start
 * that reads or writes no YAML does not parse and run its 57 KiB. require() rather than
 * import() keeps every caller synchronous; the package's CommonJS build needs nothing else.
 */
// Not `createRequire`: the bundle banner declares that name at the top of every bundle.
import { createRequire as requireFromHere } from 'node:module';
import type * as JsYaml from 'js-yaml';

let jsYaml: typeof JsYaml | undefined;
const loaded = () => (jsYaml ??= requireFromHere(import.meta.url)('js-yaml') as typeof JsYaml);

/** One YAML document. */
export const load = (text: string): unknown => loaded().load(text);

/** Every document of a multi-document YAML stream. */
export const loadAll = (text: string): unknown[] => loaded().loadAll(text);

export const dump = (value: unknown, options?: JsYaml.DumpOptions): string => loaded().dump(value, options);
