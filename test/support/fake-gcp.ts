/**
 * A fake Google Cloud played by nock at the HTTP layer: the OAuth token endpoint and a
 * small stateful GKE API v1 (clusters, node pools, operations), so every call goes
 * through the real @google-cloud/container client in REST mode (google-gax fallback →
 * google-auth-library → gaxios). Like the real API with `$alt=json;enum-encoding=int`,
 * the fake reads and writes enums as numbers.
 *
 * Unit tests move it on by hand (`step()`); end-to-end tests let it advance by itself
 * (`autoAdvance`): every GET of a cluster — a workflow's poll — first moves that
 * cluster's running operation one step on.
 */
import nock from 'nock';

export const GKE_API = 'https://container.googleapis.com';
export const GOOGLE_OAUTH = 'https://oauth2.googleapis.com';

/** GKE's enums, as numbers on the wire. */
export const GkeClusterStatus = { PROVISIONING: 1, RUNNING: 2, RECONCILING: 3, STOPPING: 4, ERROR: 5, DEGRADED: 6 } as const;
export const GkePoolStatus = { PROVISIONING: 1, RUNNING: 2, RUNNING_WITH_ERROR: 3, RECONCILING: 4, STOPPING: 5, ERROR: 6 } as const;
export const GkeTaintEffect = { NO_SCHEDULE: 1, PREFER_NO_SCHEDULE: 2, NO_EXECUTE: 3 } as const;
export const GkeOperationType = { CREATE_CLUSTER: 1, DELETE_CLUSTER: 2, UPGRADE_MASTER: 3, UPGRADE_NODES: 4, UPDATE_CLUSTER: 6, CREATE_NODE_POOL: 7, SET_NODE_POOL_SIZE: 14 } as const;

const Cluster = GkeClusterStatus;
const Pool = GkePoolStatus;
const Op = GkeOperationType;

export const GKE_CA = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUVMVENDQXBXZ0F3SUJBZ0lSQUo=';

export type Json = Record<string, any>;
export type GoogleReply = [number, Json?];

export interface GoogleRecorded {
  method: string;
  path: string;
  body: Json | undefined;
  authorization: string | null;
}

export interface FakeGkeCluster {
  json: Json;
  pools: Map<string, Json>;
  /** The one operation GKE runs on the cluster, if any. */
  op?: { name: string; type: number; target?: string; pool?: string };
}

export interface GkeSeedPool {
  name: string;
  ours: string;
  machineType: string;
  count: number;
  extra?: Json;
}

export interface FakeGoogleOptions {
  projectId: string;
  /** The cluster `seed()`, `step()` and `cluster()` mean without a name (unit tests). */
  cluster?: { name: string; region: string; clusterLabel: string };
  /** The zones of a region's clusters (default: the region's b, c and d). */
  zones?: (region: string) => string[];
  /** The pools `seed()` makes without any given. */
  seedPools?: GkeSeedPool[];
  /** Every GET of a cluster first steps it (see above). */
  autoAdvance?: boolean;
}

export const googleStatus = (code: number, grpc: string, message: string, details?: Json[]): GoogleReply => [
  code,
  { error: { code, message, status: grpc, ...(details ? { details } : {}) } },
];
export const gkeBusy = (op: string): GoogleReply => googleStatus(400, 'FAILED_PRECONDITION', `Cluster is running incompatible operation ${op}.`);

/** The patch a version request gets, as GKE picks one. */
export function resolveGkeVersion(version: string): string {
  if (version.includes('-gke.')) return version;
  return version.split('.').length === 2 ? `${version}.5-gke.1014001` : `${version}-gke.1000`;
}

/** A small GKE: what the provider's calls would do to a real project, one step at a time. */
export class FakeGoogle {
  readonly clusters = new Map<string, FakeGkeCluster>();
  readonly requests: GoogleRecorded[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  /** Sizes set with setSize (GKE does not report them back). */
  readonly sizes = new Map<string, number>();
  readonly defaults: NonNullable<FakeGoogleOptions['cluster']>;
  tokenReply: GoogleReply = [200, { access_token: 'ya29.c.kubeconfig-token', expires_in: 3599, token_type: 'Bearer' }];
  autoAdvance: boolean;
  private ops = 0;
  private faults: Array<{ method: string; path: RegExp; times: number; reply: GoogleReply }> = [];

  constructor(readonly options: FakeGoogleOptions) {
    this.defaults = options.cluster ?? { name: 'acme-prod', region: 'europe-west1', clusterLabel: 'cl_01hxyz' };
    this.autoAdvance = options.autoAdvance ?? false;
  }

  get projectId(): string {
    return this.options.projectId;
  }

  zonesOf(region: string): string[] {
    return this.options.zones?.(region) ?? ['b', 'c', 'd'].map((z) => `${region}-${z}`);
  }

  locationPath(region: string): string {
    return `/v1/projects/${this.projectId}/locations/${region}`;
  }

  /** The next `times` matching requests get `reply` instead. */
  fault(method: string, path: RegExp, reply: GoogleReply, times = 1): void {
    this.faults.push({ method, path, times, reply });
  }

  calls(method: string, path: RegExp): GoogleRecorded[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  cluster(name = this.defaults.name): FakeGkeCluster {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no fake cluster ${name}`);
    return c;
  }

  /** A RUNNING cluster with node pools, as after a finished create. */
  seed(version = '1.30.5-gke.1014001', pools: GkeSeedPool[] = this.options.seedPools ?? []): FakeGkeCluster {
    const d = this.defaults;
    const zones = this.zonesOf(d.region);
    const cluster: FakeGkeCluster = {
      json: {
        name: d.name,
        location: d.region,
        locations: zones,
        status: Cluster.RUNNING,
        initialClusterVersion: '1.30',
        currentMasterVersion: version,
        endpoint: '34.77.10.20',
        masterAuth: { clusterCaCertificate: GKE_CA },
        resourceLabels: { 'palette-cluster': d.clusterLabel },
        selfLink: `${GKE_API}${this.locationPath(d.region)}/clusters/${d.name}`,
      },
      pools: new Map(),
    };
    for (const p of pools) {
      cluster.pools.set(p.name, {
        name: p.name,
        initialNodeCount: p.count,
        locations: zones,
        version,
        status: Pool.RUNNING,
        config: {
          machineType: p.machineType,
          imageType: 'COS_CONTAINERD',
          labels: { 'palette.io/node-pool': p.ours },
          resourceLabels: { 'palette-cluster': d.clusterLabel, 'palette-nodepool': p.ours },
        },
        management: { autoUpgrade: false, autoRepair: true },
        ...p.extra,
      });
    }
    this.clusters.set(d.name, cluster);
    return cluster;
  }

  /** Moves the running operation one step on, as GKE would between two polls. */
  step(name = this.defaults.name): void {
    const c = this.clusters.get(name);
    if (!c) return;
    const j = c.json;
    const zones = this.zonesOf(String(j.location));
    if (j.status === Cluster.STOPPING) {
      this.clusters.delete(name);
      return;
    }
    if (j.status === Cluster.PROVISIONING && !j.endpoint) {
      j.endpoint = '34.77.10.20';
      j.masterAuth = { clusterCaCertificate: GKE_CA };
      j.currentMasterVersion = resolveGkeVersion(j.initialClusterVersion);
      j.locations = zones;
      return;
    }
    if (j.status === Cluster.PROVISIONING || j.status === Cluster.RECONCILING) {
      j.status = Cluster.RUNNING;
      if (c.op?.type === Op.UPGRADE_MASTER && c.op.target) j.currentMasterVersion = resolveGkeVersion(c.op.target);
    }
    for (const pool of c.pools.values()) {
      if (pool.status === Pool.PROVISIONING || pool.status === Pool.RECONCILING) {
        pool.status = Pool.RUNNING;
        pool.version ??= j.currentMasterVersion;
        pool.locations ??= zones;
        if (c.op?.type === Op.UPGRADE_NODES && c.op.pool === pool.name && c.op.target) pool.version = c.op.target;
      }
    }
    delete c.op;
  }

  private operation(c: FakeGkeCluster, type: number, extra: Partial<NonNullable<FakeGkeCluster['op']>> = {}): GoogleReply {
    this.ops += 1;
    c.op = { name: `operation-${this.ops}`, type, ...extra };
    const location = this.locationPath(String(c.json.location));
    return [200, { name: c.op.name, operationType: type, status: 2, selfLink: `${GKE_API}${location}/operations/${c.op.name}`, targetLink: `${GKE_API}${location}/clusters/${c.json.name}` }];
  }

  private clusterJson(c: FakeGkeCluster): Json {
    return { ...c.json, nodePools: [...c.pools.values()] };
  }

  handle(method: string, url: URL, body: Json | undefined, authorization: string | null): GoogleReply {
    const path = decodeURIComponent(url.pathname);
    this.requests.push({ method, path, body, authorization });
    const fault = this.faults.find((f) => f.method === method && f.path.test(path) && f.times > 0);
    if (fault) {
      fault.times -= 1;
      return fault.reply;
    }
    if (url.searchParams.get('$alt') !== 'json;enum-encoding=int') return googleStatus(400, 'INVALID_ARGUMENT', 'expected numeric enums');
    const loc = new RegExp(`^/v1/projects/${this.projectId}/locations/([a-z0-9-]+)(/.*)?$`).exec(path);
    if (!loc) return googleStatus(404, 'NOT_FOUND', `unexpected ${method} ${path}`);
    const region = loc[1]!;
    const LOCATION = this.locationPath(region);
    if (method === 'GET' && path === `${LOCATION}/operations`) {
      const operations = [...this.clusters.values()]
        .filter((c) => c.op && c.json.location === region)
        .map((c) => ({ name: c.op!.name, operationType: c.op!.type, status: 2, targetLink: `${GKE_API}${LOCATION}/clusters/${c.json.name}` }));
      return [200, { operations }];
    }
    if (method === 'POST' && path === `${LOCATION}/clusters`) return this.createCluster(region, body?.cluster ?? {});
    const m = new RegExp(`^${LOCATION}/clusters/([^/:]+)(:[a-zA-Z]+)?(?:/nodePools(?:/([^/:]+))?(:[a-zA-Z]+)?)?$`).exec(path);
    if (!m) return googleStatus(404, 'NOT_FOUND', `unexpected ${method} ${path}`);
    const [, name, clusterVerb, poolName, poolVerb] = m;
    const isPools = path.includes('/nodePools');
    if (this.autoAdvance && method === 'GET' && !isPools && !clusterVerb) this.step(name!);
    const found = this.clusters.get(name!);
    const c = found && found.json.location === region ? found : undefined;
    const notFound = googleStatus(404, 'NOT_FOUND', `Not found: projects/${this.projectId}/locations/${region}/clusters/${name}.`);
    if (!c) return notFound;
    if (!isPools) {
      if (method === 'GET') return [200, this.clusterJson(c)];
      if (c.op) return gkeBusy(c.op.name);
      if (method === 'DELETE') {
        c.json.status = Cluster.STOPPING;
        for (const p of c.pools.values()) p.status = Pool.STOPPING;
        return this.operation(c, Op.DELETE_CLUSTER);
      }
      if (method === 'POST' && clusterVerb === ':updateMaster') {
        c.json.status = Cluster.RECONCILING;
        return this.operation(c, Op.UPGRADE_MASTER, { target: body?.masterVersion });
      }
      return googleStatus(400, 'INVALID_ARGUMENT', `unexpected ${method} ${path}`);
    }
    if (!poolName) {
      if (method !== 'POST') return googleStatus(400, 'INVALID_ARGUMENT', `unexpected ${method} ${path}`);
      if (c.op) return gkeBusy(c.op.name);
      const pool: Json = body?.nodePool ?? {};
      if (c.pools.has(pool.name)) return googleStatus(409, 'ALREADY_EXISTS', `Already exists: ${path.slice(4)}/${pool.name}.`);
      c.pools.set(pool.name, { ...pool, status: Pool.PROVISIONING });
      return this.operation(c, Op.CREATE_NODE_POOL);
    }
    const pool = c.pools.get(poolName);
    if (!pool) return googleStatus(404, 'NOT_FOUND', `Not found: ${path.slice(4)}.`);
    if (method === 'GET' && !poolVerb) return [200, pool];
    if (c.op) return gkeBusy(c.op.name);
    if (method === 'PUT' && !poolVerb) {
      pool.status = Pool.RECONCILING;
      return this.operation(c, Op.UPGRADE_NODES, { pool: poolName, target: body?.nodeVersion });
    }
    if (method === 'POST' && poolVerb === ':setSize') {
      if (pool.autoscaling?.enabled) return googleStatus(400, 'FAILED_PRECONDITION', 'Node pool has autoscaling enabled.');
      this.sizes.set(poolName, body?.nodeCount ?? 0);
      pool.status = Pool.RECONCILING;
      return this.operation(c, Op.SET_NODE_POOL_SIZE);
    }
    if (method === 'POST' && poolVerb === ':setAutoscaling') {
      pool.autoscaling = body?.autoscaling?.enabled ? body.autoscaling : {};
      pool.status = Pool.RECONCILING;
      return this.operation(c, Op.UPDATE_CLUSTER);
    }
    return googleStatus(400, 'INVALID_ARGUMENT', `unexpected ${method} ${path}`);
  }

  /** Google's OAuth token endpoint (kubeconfig tokens; API calls carry self-signed JWTs). */
  playOAuth(): void {
    nock(GOOGLE_OAUTH)
      .persist()
      .post('/token')
      .reply(async (req: Request) => {
        this.tokenRequests.push(new URLSearchParams(await req.text()));
        return this.tokenReply;
      });
  }

  /** The GKE API: every request under /v1/ goes to `handle`. */
  playGke(): void {
    for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
      nock(GKE_API)
        .persist()
        .intercept((uri: string) => uri.startsWith('/v1/'), method)
        .query(true)
        .reply(async (req: Request) => {
          const text = await req.text();
          return this.handle(method, new URL(req.url), text ? (JSON.parse(text) as Json) : undefined, req.headers.get('authorization'));
        });
    }
  }

  /** Both: OAuth and the GKE API. */
  install(): this {
    this.playOAuth();
    this.playGke();
    return this;
  }

  private createCluster(region: string, cluster: Json): GoogleReply {
    if (this.clusters.has(cluster.name)) {
      return googleStatus(409, 'ALREADY_EXISTS', `Already exists: projects/${this.projectId}/locations/${region}/clusters/${cluster.name}.`);
    }
    const { nodePools = [], ...rest } = cluster;
    const created: FakeGkeCluster = { json: { ...rest, location: region, status: Cluster.PROVISIONING }, pools: new Map() };
    for (const pool of nodePools as Json[]) created.pools.set(pool.name, { ...pool, status: Pool.PROVISIONING });
    this.clusters.set(cluster.name, created);
    return this.operation(created, Op.CREATE_CLUSTER);
  }
}
