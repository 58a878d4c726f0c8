import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const registryTypes = ['helm', 'oci'] as const;
export type RegistryType = (typeof registryTypes)[number];

/** A tenant's Helm or OCI registry; its password or token only sealed (purpose `registry:<id>`). */
export const registryItem = z.object({
  type: z.literal('registry'),
  ...resourceBase,
  tenantId: z.string(),
  registryType: z.enum(registryTypes),
  url: z.string(),
  /** `basic` (username and password) or `token`; absent for an anonymous registry. */
  authKind: z.enum(['basic', 'token']).optional(),
  username: z.string().optional(),
  sealedSecret: z.string().optional(),
  /** Profile versions (cluster and app) whose helm layers or tiers use the registry; one in use cannot go. */
  references: z.number().int().default(0),
});
export type RegistryItem = z.infer<typeof registryItem>;

export const registryNameItem = z.object({ type: z.literal('registryname'), id: z.string() });

/** What a sealed registry secret is bound to: it opens as this registry's and no other's. */
export const registrySecretPurpose = (registryId: string) => `registry:${registryId}`;

/** A registry as a client of it needs it: where it is and, opened, how to sign in. */
export interface RegistryEndpoint {
  type: RegistryType;
  url: string;
  auth?: { username: string; password: string } | { token: string };
}
