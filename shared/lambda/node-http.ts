/**
 * `node:http` for the Lambda bundles, taken with require() instead of an ESM import.
 * Importing a builtin as ESM builds its module facade, which reads every export, and
 * `http`'s lazy WebSocket, CloseEvent and MessageEvent getters then load undici whole
 * (~22 ms of each API cold start, for middy's one use of STATUS_CODES). The stack's
 * esbuild alias (`bundleAliases` in infra/aws/function-defaults.ts) sends every bundled
 * `import … from 'node:http'` here; an import of any other named export fails the build.
 */
// Not `createRequire`: the bundle banner declares that name at the top of every bundle.
import { createRequire as requireFromHere } from 'node:module';
import type * as Http from 'node:http';

const http = requireFromHere(import.meta.url)('node:http') as typeof Http;

export const STATUS_CODES = http.STATUS_CODES;
export default http;
