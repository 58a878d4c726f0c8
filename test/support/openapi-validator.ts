/**
 * Holds every response the tests see to the served OpenAPI document: the status must
 * be documented for the operation, and the body must validate (JSON Schema 2020-12,
 * with ajv) against the schema documented for that status and content type. A
 * document that drifts from what the API really answers fails the suite that meets it.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { createRouteMatcher } from '#infra/local/route-matcher.ts';
import type { Method } from '#shared/api/route-kit.ts';

type Json = any;

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

export interface ResponseValidator {
  /** Throws with what is wrong when the response does not match the document. */
  check(method: string, url: string, status: number, contentType: string | null, body: unknown): void;
}

export function createResponseValidator(document: Json): ResponseValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: document.components }, 'openapi.json');
  const routes = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase() as Method, path, operation })),
  );
  const match = createRouteMatcher(routes);
  const compiled = new Map<string, ValidateFunction>();

  const validatorFor = (key: string, schema: Json) => {
    let validate = compiled.get(key);
    if (!validate) {
      // Component references are resolved against the document's components.
      const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'));
      validate = ajv.compile(rewritten);
      compiled.set(key, validate);
    }
    return validate;
  };

  return {
    check(method, url, status, contentType, body) {
      const { pathname } = new URL(url);
      const found = match(method, pathname);
      // The gateway's own 404s for paths outside the table have nothing to be held to.
      if (!found || 'methodNotAllowed' in found) return;
      const where = `${method} ${found.route.path} → ${status}`;
      const response = found.route.operation.responses[String(status)];
      if (!response) throw new Error(`${where}: status ${status} is not documented for this operation`);
      const media = contentType?.split(';')[0]?.trim() ?? '';
      if (!response.content) {
        if (body !== '' && body !== undefined) throw new Error(`${where}: documented without a body, but the response has one`);
        return;
      }
      const documented = response.content[media];
      if (!documented) throw new Error(`${where}: content type ${media} is not documented (${Object.keys(response.content).join(', ')})`);
      const validate = validatorFor(`${method} ${found.route.path} ${status} ${media}`, documented.schema);
      if (!validate(body)) {
        throw new Error(`${where}: the body does not match the documented schema: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
      }
    },
  };
}
