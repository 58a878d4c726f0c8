import * as z from 'zod';

/**
 * What the authorizer hands to the API functions (API Gateway passes only flat
 * strings). `keyHash` empty means the caller presented no valid key: the API
 * function answers 401 problem+json, as the contract says.
 */
export const authorizerContextSchema = z.object({
  keyHash: z.string().optional(),
  userId: z.string().optional(),
  tenantId: z.string().optional(),
  role: z.string().optional(),
  reason: z.string().optional(),
});

export type AuthorizerContext = z.infer<typeof authorizerContextSchema>;

/** How long API Gateway (and the local gateway, like it) keeps an authorizer's answer per Authorization header. */
export const AUTHORIZER_CACHE_TTL_SECONDS = 300;
