/**
 * The typed client of the public API, for the console and the CLI: openapi-fetch over
 * the types generated from the OpenAPI document (api-types.ts), with the API key on
 * every request and problem+json errors as PaletteApiError.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './api-types.ts';

export type { components, operations, paths };
export type Schemas = components['schemas'];
export type PaletteClient = Client<paths>;

/** An API refusal: its status and its problem+json body (detail, code, errors[].path). */
export class PaletteApiError extends Error {
  override readonly name = 'PaletteApiError';
  constructor(
    readonly status: number,
    readonly problem: { code?: string; detail?: string; title?: string; errors?: Array<{ path: string; message: string }> },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export interface ClientOptions {
  /** The API's origin, e.g. `http://127.0.0.1:3000` (the console uses its own origin). */
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

export function paletteClient(options: ClientOptions): PaletteClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/$/, ''), ...(options.fetch ? { fetch: options.fetch } : {}) });
  if (options.apiKey) {
    const key = options.apiKey;
    client.use({
      onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${key}`);
        return request;
      },
    });
  }
  return client;
}

/**
 * The data of an openapi-fetch result, or the API's problem as a PaletteApiError:
 * `await expectOk(client.GET('/v1/me'))`.
 */
export async function expectOk<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new PaletteApiError(response.status, (error ?? {}) as PaletteApiError['problem']);
  return data as T;
}
