/**
 * Registries: a tenant's Helm repositories and OCI registries. Credentials are sealed
 * for the registry alone and never returned; the API opens them only to ask the
 * registry something (does the login work, which charts and versions are there), and
 * the workflows only to hand them to a cluster's Flux as a Secret. Profile versions
 * that use a registry hold a reference on it, so one in use cannot be deleted.
 */
import { ApiError, assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { claimName, deleteNamed } from '../store/names.ts';
import { getItem, getItems, nowIso, queryPage, TransactionConflict, updateItem, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { checkRegistry, listCharts, RegistryError, type Chart } from './client.ts';
import { registryItem, registrySecretPurpose, type RegistryEndpoint, type RegistryItem } from './items.ts';
import { registry as registryShape, type CreateRegistryInput } from './schemas.ts';

export const toRegistry = (item: RegistryItem) => pickFields(registryShape, { ...item, type: item.registryType, secretSet: item.sealedSecret !== undefined });

/** Where the registry is and, opened from its seal, how to sign in. */
export async function registryEndpoint(item: RegistryItem): Promise<RegistryEndpoint> {
  const endpoint: RegistryEndpoint = { type: item.registryType, url: item.url };
  if (!item.sealedSecret) return endpoint;
  const secret = await secretBoxFromEnv().open(item.sealedSecret, registrySecretPurpose(item.id));
  return { ...endpoint, auth: item.authKind === 'token' ? { token: secret } : { username: item.username ?? '', password: secret } };
}

/** The registry's refusal as the field a caller should fix. */
function asValidation(error: RegistryError, paths: { url: string; auth: string }) {
  const path = error.kind === 'unauthorized' ? paths.auth : paths.url;
  return validationFailed(`the registry did not accept the request: ${error.message}`, [{ path, message: error.message }]);
}

export async function createRegistry(tx: Tx, tenantId: string, input: CreateRegistryInput): Promise<RegistryItem> {
  const endpoint: RegistryEndpoint = { type: input.type, url: input.url, ...(input.auth ? { auth: input.auth } : {}) };
  try {
    await checkRegistry(endpoint);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    logger.info('registry refused at create', { url: input.url, reason: error.message });
    throw asValidation(error, { url: 'body.url', auth: input.auth && 'token' in input.auth ? 'body.auth.token' : 'body.auth.password' });
  }
  const id = newId('registry');
  const now = nowIso();
  const secret = input.auth ? ('token' in input.auth ? input.auth.token : input.auth.password) : undefined;
  const item: RegistryItem = {
    type: 'registry',
    id,
    name: input.name,
    tenantId,
    registryType: input.type,
    url: input.url,
    ...(input.auth ? { authKind: 'token' in input.auth ? ('token' as const) : ('basic' as const) } : {}),
    ...(input.auth && 'username' in input.auth ? { username: input.auth.username } : {}),
    ...(secret !== undefined ? { sealedSecret: await secretBoxFromEnv().seal(secret, registrySecretPurpose(id)) } : {}),
    references: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  try {
    await tx.commit(
      [
        { Put: { Item: { ...keys.registry(tenantId, id), ...item }, ConditionExpression: 'attribute_not_exists(pk)' } },
        claimName(keys.registryName(tenantId, input.name), 'registryname', { id }),
      ],
      { resourceId: id },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('conflict', `a registry named ${input.name} already exists`);
    throw error;
  }
  return item;
}

export async function getRegistry(store: Store, tenantId: string, id: string): Promise<RegistryItem> {
  const item = await getItem(store, keys.registry(tenantId, id), registryItem);
  if (!item) throw notFound(`registry ${id}`);
  return item;
}

export function listRegistries(store: Store, tenantId: string, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.registries(tenantId), ...page }, registryItem);
}

export async function deleteRegistry(tx: Tx, tenantId: string, id: string, ifMatch?: number): Promise<void> {
  const item = await getRegistry(tx.store, tenantId, id);
  assertIfMatch(item, ifMatch);
  const inUse = () => new ApiError('invalid_state', `registry ${item.name} is used by ${item.references} profile version(s); delete them first`);
  if (item.references > 0) throw inUse();
  await deleteNamed(tx, {
    key: keys.registry(tenantId, id),
    version: item.version,
    what: `registry ${id}`,
    ifMatch,
    reservation: { key: keys.registryName(tenantId, item.name), ownerAttribute: 'id', ownerId: id },
    unused: { expression: 'attribute_not_exists(#refs) OR #refs = :none', names: { '#refs': 'references' }, values: { ':none': 0 } },
    inUse: async () => inUse(),
  });
}

/** The charts of a registry, read live from it (briefly cached); a registry that does not answer is `invalid_state`. */
export async function registryCharts(store: Store, tenantId: string, id: string, name?: string): Promise<Chart[]> {
  const item = await getRegistry(store, tenantId, id);
  try {
    return await listCharts(await registryEndpoint(item), `${item.id}@${item.version}`, name);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    throw new ApiError('invalid_state', `registry ${item.name}: ${error.message}`);
  }
}

// ---------------------------------------------------------------------------------
// Profiles that take charts from registries
// ---------------------------------------------------------------------------------

export interface ChartUse {
  registryId: string;
  chart: string;
  version: string;
  /** The request field of the layer or tier, e.g. `body.layers.2`. */
  path: string;
}

/**
 * Every chart and version a new profile version names must be in its registry now:
 * asked of the registry itself, each registry once. Anything missing is a 400 at the
 * layer's or tier's field.
 */
export async function assertChartsExist(store: Store, tenantId: string, uses: ChartUse[]): Promise<RegistryItem[]> {
  if (uses.length === 0) return [];
  const ids = [...new Set(uses.map((u) => u.registryId))];
  const found = await getItems(store, ids.map((id) => keys.registry(tenantId, id)));
  const registries = new Map(ids.map((id, i) => [id, found[i] ? registryItem.parse(found[i]) : undefined]));
  const problems: Array<{ path: string; message: string }> = [];
  await Promise.all(
    uses.map(async (use) => {
      const registry = registries.get(use.registryId);
      if (!registry) return problems.push({ path: `${use.path}.registryId`, message: `no registry ${use.registryId} in this tenant` });
      try {
        const [chart] = await listCharts(await registryEndpoint(registry), `${registry.id}@${registry.version}`, use.chart);
        if (!chart) return problems.push({ path: `${use.path}.chart`, message: `registry ${registry.name} has no chart ${use.chart}` });
        if (!chart.versions.includes(use.version)) {
          return problems.push({ path: `${use.path}.version`, message: `chart ${use.chart} has no version ${use.version} in registry ${registry.name} (it has ${chart.versions.slice(0, 10).join(', ') || 'none'})` });
        }
      } catch (error) {
        if (!(error instanceof RegistryError)) throw error;
        problems.push({ path: `${use.path}.registryId`, message: `registry ${registry.name} could not be asked: ${error.message}` });
      }
      return undefined;
    }),
  );
  if (problems.length) throw validationFailed('the profile names charts its registries do not have', problems.sort((a, b) => a.path.localeCompare(b.path)));
  return [...registries.values()].filter((r): r is RegistryItem => r !== undefined);
}

/** A profile version's hold on each registry it uses (delta +1 on create, -1 on delete); a hold needs the registry to exist. */
export const registryReferenceUpdates = (tenantId: string, registryIds: string[], delta: 1 | -1): TransactItem[] =>
  [...new Set(registryIds)].map((id) => updateItem(keys.registry(tenantId, id), { add: { references: delta }, touch: false }));
