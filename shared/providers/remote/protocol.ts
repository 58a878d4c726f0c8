/** What a provider function is asked and answers (client.ts ⇄ function.ts). */
import * as z from 'zod';
import { accountSettingsItem } from '../../cloud-accounts/items.ts';

export const providerMethods = ['create', 'describe', 'scaleNodePool', 'upgrade', 'delete', 'clusterAccess'] as const;
export type ProviderMethod = (typeof providerMethods)[number];

export const providerCall = z.object({
  method: z.enum(providerMethods),
  /** Secrets still sealed: the function opens them, so they never travel or sit in workflow state in clear. */
  account: accountSettingsItem,
  args: z.array(z.unknown()).max(2),
  requestId: z.string().optional(),
});
export type ProviderCall = z.infer<typeof providerCall>;

/** A provider error keeps its kind across the call: the workflows retry transient ones, end on the others. */
export type ProviderAnswer =
  | { ok: true; result: unknown }
  | { ok: false; error: { kind: 'transient' | 'permanent' | 'gone'; message: string } };
