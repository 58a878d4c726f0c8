/**
 * A fake Azure played by nock at the HTTP layer: AAD's token endpoint and a small
 * stateful ARM (resource groups, managed clusters, agent pools, credentials), so every
 * call goes through the real @azure/identity and @azure/arm-containerservice /
 * @azure/arm-resources clients and their retry policies.
 *
 * Unit tests move it on by hand (`step()`); end-to-end tests let it advance by itself
 * (`autoAdvance`): every GET of a managed cluster — a workflow's poll — first moves
 * that cluster's running operation one step on, so a create is Running on the second
 * poll and a delete gone on the first.
 */
import nock from 'nock';

export const AZURE_LOGIN = 'https://login.microsoftonline.com';
export const AZURE_ARM = 'https://management.azure.com';

export type Json = Record<string, any>;
export type AzureReply = [number, Json?, Record<string, string>?];

export interface AzureRecorded {
  method: string;
  path: string;
  body: Json | undefined;
}

export interface FakeAksCluster {
  name: string;
  location: string;
  tags: Record<string, string>;
  identity: Json | undefined;
  properties: Json;
  pools: Map<string, Json>;
}

export interface SeedPool {
  name: string;
  ours: string;
  vmSize: string;
  count: number;
  extra?: Json;
}

export interface FakeAzureOptions {
  tenantId: string;
  subscriptionId: string;
  /** The cluster `seed()`, `step()` and `cluster()` mean without a name (unit tests). */
  cluster?: { name: string; clusterId: string; region: string; resourceGroup: string };
  /** The pools `seed()` makes without any given. */
  seedPools?: SeedPool[];
  /** Every GET of a managed cluster first steps it (see above). */
  autoAdvance?: boolean;
}

const BUSY = new Set(['Creating', 'Updating', 'Upgrading', 'Scaling', 'Deleting']);

export const azureInProgress = (what: string): AzureReply => [
  409,
  { error: { code: 'OperationNotAllowed', message: `Operation is not allowed because there's an in progress ${what} operation.` } },
];

/** The user kubeconfig AKS hands out for a cluster (listClusterUserCredential). */
export function aksKubeconfig(name: string, region: string, resourceGroup: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: https://${name}-k3x9.hcp.${region}.azmk8s.io:443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: clusterUser_${resourceGroup}_${name}
current-context: ${name}
users:
- name: clusterUser_${resourceGroup}_${name}
  user:
    client-certificate-data: Y2xpZW50LWNlcnQ=
    client-key-data: Y2xpZW50LWtleQ==
    token: 0123456789abcdef
`;
}

/** A small ARM: what the provider's calls would do to a real subscription, one step at a time. */
export class FakeAzure {
  readonly groups = new Map<string, { location: string }>();
  readonly clusters = new Map<string, FakeAksCluster>();
  readonly requests: AzureRecorded[] = [];
  readonly tokenRequests: string[] = [];
  readonly defaults: NonNullable<FakeAzureOptions['cluster']>;
  kubeconfigs: Array<{ name: string; value: string }>;
  tokenReply: AzureReply = [200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'arm-access-token' }];
  autoAdvance: boolean;
  private faults: Array<{ method: string; path: RegExp; times: number; reply: AzureReply }> = [];

  constructor(readonly options: FakeAzureOptions) {
    this.defaults = options.cluster ?? { name: 'acme-prod', clusterId: 'cl_01HXYZ', region: 'westeurope', resourceGroup: 'palette-westeurope' };
    this.autoAdvance = options.autoAdvance ?? false;
    const d = this.defaults;
    this.kubeconfigs = [{ name: 'clusterUser', value: Buffer.from(aksKubeconfig(d.name, d.region, d.resourceGroup)).toString('base64') }];
  }

  get subscriptionId(): string {
    return this.options.subscriptionId;
  }

  /** The next `times` matching requests get `reply` instead. */
  fault(method: string, path: RegExp, reply: AzureReply, times = 1): void {
    this.faults.push({ method, path, times, reply });
  }

  calls(method: string, path: RegExp): AzureRecorded[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  cluster(name = this.defaults.name): FakeAksCluster {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no fake cluster ${name}`);
    return c;
  }

  /** A Succeeded cluster with agent pools, as after a finished create. */
  seed(version = '1.30', pools: SeedPool[] = this.options.seedPools ?? []): FakeAksCluster {
    const d = this.defaults;
    this.groups.set(d.resourceGroup, { location: d.region });
    const cluster: FakeAksCluster = {
      name: d.name,
      location: d.region,
      tags: { 'palette:cluster': d.clusterId },
      identity: { type: 'SystemAssigned', principalId: 'p-1', tenantId: this.options.tenantId },
      properties: {
        provisioningState: 'Succeeded',
        powerState: { code: 'Running' },
        kubernetesVersion: version,
        currentKubernetesVersion: version,
        dnsPrefix: d.name,
        fqdn: `${d.name}-k3x9.hcp.${d.region}.azmk8s.io`,
      },
      pools: new Map(),
    };
    for (const p of pools) {
      cluster.pools.set(p.name, {
        count: p.count,
        vmSize: p.vmSize,
        mode: p.name === 'general' ? 'System' : 'User',
        osType: 'Linux',
        enableAutoScaling: false,
        orchestratorVersion: version,
        currentOrchestratorVersion: version,
        provisioningState: 'Succeeded',
        powerState: { code: 'Running' },
        tags: { 'palette:nodepool': p.ours },
        nodeLabels: { 'palette.io/node-pool': p.ours },
        ...p.extra,
      });
    }
    this.clusters.set(cluster.name, cluster);
    return cluster;
  }

  /** Moves every running operation one step on, as Azure would between two polls. */
  step(name = this.defaults.name): void {
    const c = this.clusters.get(name);
    if (!c) return;
    const p = c.properties;
    if (p.provisioningState === 'Deleting') {
      this.clusters.delete(name);
      return;
    }
    if (p.provisioningState === 'Creating' && !p.fqdn) {
      p.fqdn = `${p.dnsPrefix}-k3x9.hcp.${c.location}.azmk8s.io`;
      p.currentKubernetesVersion = p.kubernetesVersion;
      return;
    }
    if (BUSY.has(p.provisioningState)) {
      p.provisioningState = 'Succeeded';
      p.currentKubernetesVersion = p.kubernetesVersion;
    }
    for (const pool of c.pools.values()) {
      if (BUSY.has(pool.provisioningState)) {
        pool.provisioningState = 'Succeeded';
        pool.currentOrchestratorVersion = pool.orchestratorVersion;
      }
    }
  }

  handle(method: string, url: URL, body: Json | undefined): AzureReply {
    const path = url.pathname;
    this.requests.push({ method, path, body });
    const fault = this.faults.find((f) => f.method === method && f.path.test(path) && f.times > 0);
    if (fault) {
      fault.times -= 1;
      return fault.reply;
    }
    const sub = `/subscriptions/${this.subscriptionId}`;
    const group = new RegExp(`^${sub}/resourcegroups/([^/]+)$`, 'i').exec(path);
    if (group) return this.resourceGroup(method, decodeURIComponent(group[1]!), body);
    const m = new RegExp(`^${sub}/resourceGroups/([^/]+)/providers/Microsoft\\.ContainerService/managedClusters/([^/]+)(/.*)?$`).exec(path);
    if (!m) return [400, { error: { code: 'UnexpectedRequest', message: `${method} ${path}` } }];
    const [, rg, name, rest = ''] = m;
    if (this.autoAdvance && method === 'GET' && rest === '') this.step(name!);
    if (!this.groups.has(rg!)) return [404, { error: { code: 'ResourceGroupNotFound', message: `Resource group '${rg}' could not be found.` } }];
    if (rest === '') return this.managedCluster(method, rg!, name!, body);
    const c = this.clusters.get(name!);
    if (!c) return [404, { error: { code: 'ResourceNotFound', message: `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${rg}' was not found.` } }];
    if (method === 'POST' && rest === '/listClusterUserCredential') return [200, { kubeconfigs: this.kubeconfigs }];
    if (method === 'GET' && rest === '/agentPools') return [200, { value: [...c.pools.keys()].map((p) => this.poolJson(rg!, c, p)) }];
    const pool = /^\/agentPools\/([^/]+)$/.exec(rest)?.[1];
    if (pool) return this.agentPool(method, rg!, c, pool, body);
    return [400, { error: { code: 'UnexpectedRequest', message: `${method} ${path}` } }];
  }

  /** AAD's token endpoint of the account's tenant (and the discovery documents MSAL might ask for). */
  playAad(): void {
    const tenant = this.options.tenantId;
    nock(AZURE_LOGIN)
      .persist()
      .post(`/${tenant}/oauth2/v2.0/token`)
      .query(true)
      .reply(async (req: Request) => {
        this.tokenRequests.push(await req.text());
        return this.tokenReply;
      });
    // MSAL carries login.microsoftonline.com's metadata and does not call these; they
    // are here (optional) so a future MSAL that does still finds them.
    nock(AZURE_LOGIN)
      .persist()
      .get(/\/common\/discovery\/instance/)
      .optionally()
      .reply(200, {
        tenant_discovery_endpoint: `${AZURE_LOGIN}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com'] }],
      });
    nock(AZURE_LOGIN)
      .persist()
      .get(`/${tenant}/v2.0/.well-known/openid-configuration`)
      .optionally()
      .reply(200, {
        token_endpoint: `${AZURE_LOGIN}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${AZURE_LOGIN}/${tenant}/oauth2/v2.0/authorize`,
        issuer: `${AZURE_LOGIN}/${tenant}/v2.0`,
        jwks_uri: `${AZURE_LOGIN}/${tenant}/discovery/v2.0/keys`,
      });
  }

  /** Resource Manager: every request under /subscriptions/ goes to `handle`. */
  playArm(): void {
    for (const method of ['GET', 'PUT', 'POST', 'PATCH', 'DELETE']) {
      nock(AZURE_ARM)
        .persist()
        .intercept((uri: string) => uri.startsWith('/subscriptions/'), method)
        .reply(async (req: Request) => {
          const text = await req.text();
          return this.handle(method, new URL(req.url), text ? (JSON.parse(text) as Json) : undefined);
        });
    }
  }

  /** Both: AAD and ARM. */
  install(): this {
    this.playAad();
    this.playArm();
    return this;
  }

  private resourceGroup(method: string, name: string, body: Json | undefined): AzureReply {
    if (method === 'GET') {
      const g = this.groups.get(name);
      if (!g) return [404, { error: { code: 'ResourceGroupNotFound', message: `Resource group '${name}' could not be found.` } }];
      return [200, { id: `/subscriptions/${this.subscriptionId}/resourceGroups/${name}`, name, location: g.location, properties: { provisioningState: 'Succeeded' } }];
    }
    if (method === 'PUT') {
      this.groups.set(name, { location: String(body?.location) });
      return [201, { id: `/subscriptions/${this.subscriptionId}/resourceGroups/${name}`, name, location: body?.location, properties: { provisioningState: 'Succeeded' } }];
    }
    return [405, { error: { code: 'MethodNotAllowed', message: method } }];
  }

  private clusterJson(rg: string, c: FakeAksCluster): Json {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourcegroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${c.name}`,
      name: c.name,
      type: 'Microsoft.ContainerService/ManagedClusters',
      location: c.location,
      tags: c.tags,
      ...(c.identity ? { identity: c.identity } : {}),
      properties: {
        ...c.properties,
        agentPoolProfiles: [...c.pools.entries()].map(([name, props]) => ({ name, ...props })),
      },
    };
  }

  private poolJson(rg: string, c: FakeAksCluster, name: string): Json {
    return {
      id: `/subscriptions/${this.subscriptionId}/resourcegroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${c.name}/agentPools/${name}`,
      name,
      type: 'Microsoft.ContainerService/managedClusters/agentPools',
      properties: c.pools.get(name),
    };
  }

  private asyncHeaders(location: string): Record<string, string> {
    return {
      'Azure-AsyncOperation': `${AZURE_ARM}/subscriptions/${this.subscriptionId}/providers/Microsoft.ContainerService/locations/${location}/operations/op-1?api-version=2026-04-01`,
    };
  }

  private managedCluster(method: string, rg: string, name: string, body: Json | undefined): AzureReply {
    const c = this.clusters.get(name);
    const notFound: AzureReply = [404, { error: { code: 'ResourceNotFound', message: `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${rg}' was not found.` } }];
    switch (method) {
      case 'GET':
        return c ? [200, this.clusterJson(rg, c)] : notFound;
      case 'PUT': {
        const props: Json = body?.properties ?? {};
        if (!c) {
          const created: FakeAksCluster = {
            name,
            location: String(body?.location),
            tags: body?.tags ?? {},
            identity: body?.identity,
            properties: { ...props, provisioningState: 'Creating', powerState: { code: 'Running' } },
            pools: new Map(),
          };
          delete created.properties.agentPoolProfiles;
          for (const { name: poolName, ...pool } of props.agentPoolProfiles ?? []) {
            created.pools.set(poolName, { ...pool, orchestratorVersion: props.kubernetesVersion, provisioningState: 'Creating', powerState: { code: 'Running' } });
          }
          this.clusters.set(name, created);
          return [201, this.clusterJson(rg, created), this.asyncHeaders(created.location)];
        }
        if (BUSY.has(c.properties.provisioningState)) return azureInProgress(`${c.properties.provisioningState.toLowerCase()} managed cluster`);
        const upgrading = props.kubernetesVersion !== c.properties.kubernetesVersion;
        c.tags = body?.tags ?? {};
        c.properties.kubernetesVersion = props.kubernetesVersion;
        c.properties.provisioningState = upgrading ? 'Upgrading' : 'Updating';
        for (const { name: poolName, ...pool } of props.agentPoolProfiles ?? []) {
          const existing = c.pools.get(poolName);
          if (existing && pool.orchestratorVersion !== existing.orchestratorVersion) {
            existing.orchestratorVersion = pool.orchestratorVersion;
            existing.provisioningState = 'Upgrading';
          }
        }
        return [200, this.clusterJson(rg, c), this.asyncHeaders(c.location)];
      }
      case 'PATCH':
        if (!c) return notFound;
        c.tags = body?.tags ?? {};
        return [200, this.clusterJson(rg, c)];
      case 'DELETE':
        if (!c) return [204];
        c.properties.provisioningState = 'Deleting';
        return [202, undefined, this.asyncHeaders(c.location)];
      default:
        return [405, { error: { code: 'MethodNotAllowed', message: method } }];
    }
  }

  private agentPool(method: string, rg: string, c: FakeAksCluster, name: string, body: Json | undefined): AzureReply {
    const existing = c.pools.get(name);
    if (method === 'GET') {
      return existing
        ? [200, this.poolJson(rg, c, name)]
        : [404, { error: { code: 'NotFound', message: `Could not find agent pool ${name} in cluster ${c.name}.` } }];
    }
    if (method !== 'PUT') return [405, { error: { code: 'MethodNotAllowed', message: method } }];
    if (BUSY.has(c.properties.provisioningState)) return azureInProgress(`${c.properties.provisioningState.toLowerCase()} managed cluster`);
    if (existing && BUSY.has(existing.provisioningState)) return azureInProgress(`${existing.provisioningState.toLowerCase()} agent pool`);
    const props: Json = { ...body?.properties };
    let state = 'Creating';
    if (existing) {
      state = props.orchestratorVersion !== existing.orchestratorVersion ? 'Upgrading' : props.count !== existing.count ? 'Scaling' : 'Updating';
    } else {
      props.orchestratorVersion ??= c.properties.currentKubernetesVersion;
    }
    c.pools.set(name, { ...existing, ...props, provisioningState: state, currentOrchestratorVersion: existing?.currentOrchestratorVersion });
    return [existing ? 200 : 201, this.poolJson(rg, c, name), this.asyncHeaders(c.location)];
  }
}
