/**
 * A user's console preferences (API.md "Console, CLI, preferences"): App Mode or
 * Cluster Mode. Kept on the user item, which every request reads to authenticate, so
 * reading them costs nothing more; a change writes only that field.
 */
import * as z from 'zod';
import type { Principal } from '../auth/principal.ts';
import { keys, tenantOrSystem } from '../store/keys.ts';
import { updateItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';

export const preferences = z
  .strictObject({ mode: z.enum(['app', 'cluster']).meta({ description: 'the console\'s mode: App Mode or Cluster Mode' }) })
  .meta({ id: 'Preferences' });
export type Preferences = z.infer<typeof preferences>;

/** Platform engineers (tenant and system admins) start in Cluster Mode, everyone else in App Mode. */
export function preferencesOf(principal: Principal): Preferences {
  const stored = principal.user?.preferences;
  if (stored) return stored;
  return { mode: principal.role === 'tenant.admin' || principal.role === 'system.admin' ? 'cluster' : 'app' };
}

export async function putPreferences(tx: Tx, principal: Principal, next: Preferences): Promise<Preferences> {
  await tx.commit([updateItem(keys.user(tenantOrSystem(principal.tenantId), principal.userId), { set: { preferences: next } })], { resourceId: principal.userId });
  return next;
}
