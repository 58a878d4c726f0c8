/**
 * The simulated cloud behind the `sim` provider: a small HTTP API (create, describe,
 * scale, upgrade, delete a cluster, fetch its kubeconfig) whose clusters take
 * `provisionSeconds / PALETTE_SIM_SPEED` to come up, can be told to fail (at provisioning, or
 * later: `PUT /clusters/<name>/fault` puts a running one out of reach), and each get
 * a Kubernetes API emulator cluster once Running. State is kept in
 * `<dataDir>/sim-cloud.json`, so a restarted runtime finds its clusters again.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeEmulator, SeedNodePool } from './kube-emulator/index.ts';
import { instanceTypes } from '#shared/host-clusters/instance-types.ts';

export interface SimNodePool {
  name: string;
  instanceType: string;
  count: number;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
}

/** A pool's nodes in the emulator: the instance type's size and GPUs, the pool's labels and taints. */
const seedPool = (pool: SimNodePool): SeedNodePool => {
  const size = instanceTypes[pool.instanceType];
  return {
    name: pool.name,
    count: pool.count,
    instanceType: pool.instanceType,
    cpu: size?.cpu ?? 4,
    memoryMiB: size?.memoryMiB ?? 16 * 1024,
    storageGiB: size?.storageGiB ?? 100,
    gpu: size?.gpu?.count ?? 0,
    labels: { 'palette.dev/node-pool': pool.name, ...pool.labels },
    ...(pool.taints ? { taints: pool.taints } : {}),
  };
};

interface SimCluster {
  name: string;
  region: string;
  kubernetesVersion: string;
  nodePools: SimNodePool[];
  createdAt: number;
  /** When the current change (create, scale, upgrade, delete) completes. */
  busyUntil: number;
  state: 'creating' | 'ready' | 'updating' | 'deleting' | 'failed';
  failProvisioning: boolean;
  message?: string;
  /** An injected outage of a running cluster: its API server cannot be reached until cleared. */
  fault?: string;
}

/** Seconds a simulated scale or upgrade takes (before PALETTE_SIM_SPEED). */
const UPDATE_SECONDS = 2;
const DELETE_SECONDS = 1;

export async function startSimCloud(options: { emulator: KubeEmulator; dataDir?: string; speed?: number; port?: number }) {
  const speed = options.speed && options.speed > 0 ? options.speed : 1;
  const scaled = (seconds: number) => (seconds * 1000) / speed;
  const file = options.dataDir ? join(options.dataDir, 'sim-cloud.json') : undefined;
  const clusters = new Map<string, SimCluster>();
  if (file) {
    try {
      for (const c of JSON.parse(await readFile(file, 'utf8')) as SimCluster[]) clusters.set(c.name, c);
    } catch {
      // first start
    }
  }
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    if (!file) return;
    saving = saving.then(async () => {
      await mkdir(options.dataDir!, { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify([...clusters.values()]));
      await rename(`${file}.tmp`, file);
    });
  };

  /** Moves a cluster along its timeline; called on every read. */
  const advance = (c: SimCluster) => {
    const now = Date.now();
    if (now < c.busyUntil) return;
    if (c.state === 'creating') {
      if (c.failProvisioning) {
        c.state = 'failed';
        c.message = 'simulated provisioning failure: the control plane did not become healthy (sim.failProvisioning)';
      } else {
        const pools = c.nodePools.filter((p) => p.count > 0).map(seedPool);
        options.emulator.createCluster(c.name, { kubernetesVersion: `v${c.kubernetesVersion}`, ...(pools.length ? { nodePools: pools } : { nodes: 1 }) });
        c.state = 'ready';
      }
      save();
    } else if (c.state === 'updating') {
      c.state = 'ready';
      save();
    } else if (c.state === 'deleting') {
      void options.emulator.deleteCluster(c.name);
      clusters.delete(c.name);
      save();
    }
  };

  const phaseOf = (c: SimCluster) =>
    ({ creating: 'Provisioning', ready: 'Running', updating: 'Updating', deleting: 'Deleting', failed: 'Failed' })[c.state];

  const describe = (c: SimCluster) => ({
    name: c.name,
    phase: phaseOf(c),
    message: c.message,
    region: c.region,
    kubernetesVersion: c.kubernetesVersion,
    endpoint: c.state === 'ready' || c.state === 'updating' ? options.emulator.getCluster(c.name)?.server : undefined,
    nodePools: c.nodePools.map((p) => ({ ...p, phase: phaseOf(c) })),
  });

  const routes: Array<[string, RegExp, (m: RegExpExecArray, body: Record<string, unknown>) => [number, unknown]]> = [
    ['PUT', /^\/clusters\/([\w.-]+)$/, ([, name], body) => {
      const existing = clusters.get(name!);
      if (existing) return [200, describe(existing)];
      const now = Date.now();
      const c: SimCluster = {
        name: name!,
        region: String(body.region ?? 'sim-local-1'),
        kubernetesVersion: String(body.kubernetesVersion ?? '1.31'),
        nodePools: (body.nodePools as SimNodePool[]) ?? [],
        createdAt: now,
        busyUntil: now + scaled(Number(body.provisionSeconds ?? 5)),
        state: 'creating',
        failProvisioning: body.failProvisioning === true,
      };
      clusters.set(c.name, c);
      save();
      advance(c);
      return [201, describe(c)];
    }],
    ['GET', /^\/clusters\/([\w.-]+)$/, ([, name]) => {
      const c = clusters.get(name!);
      if (c) advance(c);
      const current = clusters.get(name!);
      return current ? [200, describe(current)] : [404, { message: `cluster ${name} not found` }];
    }],
    ['PUT', /^\/clusters\/([\w.-]+)\/nodepools\/([\w.-]+)$/, ([, name, pool], body) => {
      const c = clusters.get(name!);
      if (!c) return [404, { message: `cluster ${name} not found` }];
      advance(c);
      if (c.state !== 'ready' && c.state !== 'updating') return [409, { message: `cluster ${name} is ${phaseOf(c)}` }];
      const next = { name: pool!, instanceType: String(body.instanceType), count: Number(body.count) };
      const index = c.nodePools.findIndex((p) => p.name === pool);
      if (index >= 0 && c.nodePools[index]!.count === next.count) return [200, describe(c)];
      if (index >= 0) c.nodePools[index] = next;
      else c.nodePools.push(next);
      c.state = 'updating';
      c.busyUntil = Date.now() + scaled(UPDATE_SECONDS);
      save();
      return [200, describe(c)];
    }],
    ['POST', /^\/clusters\/([\w.-]+)\/upgrade$/, ([, name], body) => {
      const c = clusters.get(name!);
      if (!c) return [404, { message: `cluster ${name} not found` }];
      advance(c);
      const version = String(body.kubernetesVersion);
      if (c.kubernetesVersion === version) return [200, describe(c)];
      if (c.state !== 'ready') return [409, { message: `cluster ${name} is ${phaseOf(c)}` }];
      c.kubernetesVersion = version;
      c.state = 'updating';
      c.busyUntil = Date.now() + scaled(UPDATE_SECONDS);
      save();
      return [200, describe(c)];
    }],
    ['DELETE', /^\/clusters\/([\w.-]+)$/, ([, name]) => {
      const c = clusters.get(name!);
      if (!c) return [404, { message: `cluster ${name} not found` }];
      if (c.state !== 'deleting') {
        c.state = 'deleting';
        c.busyUntil = Date.now() + scaled(DELETE_SECONDS);
        save();
      }
      advance(c);
      return [202, clusters.has(name!) ? describe(c) : { name, phase: 'Deleted' }];
    }],
    ['GET', /^\/clusters\/([\w.-]+)\/kubeconfig$/, ([, name]) => {
      const c = clusters.get(name!);
      if (c) advance(c);
      if (!c) return [404, { message: `cluster ${name} not found` }];
      if (c.fault) return [422, { message: `cluster ${name} is failing: ${c.fault}` }];
      if (c.state !== 'ready' && c.state !== 'updating') return [409, { message: `cluster ${name} has no API server yet` }];
      return [200, { kubeconfig: options.emulator.kubeconfig(c.name) }];
    }],
    // Fault injection: a running cluster whose API server is out of reach, as a host goes bad.
    ['PUT', /^\/clusters\/([\w.-]+)\/fault$/, ([, name], body) => {
      const c = clusters.get(name!);
      if (!c) return [404, { message: `cluster ${name} not found` }];
      c.fault = String(body.message ?? 'simulated outage');
      // Its API server stops answering too: clients that kept its address get refused.
      void options.emulator.setServing(c.name, false);
      save();
      return [200, describe(c)];
    }],
    ['DELETE', /^\/clusters\/([\w.-]+)\/fault$/, ([, name]) => {
      const c = clusters.get(name!);
      if (!c) return [404, { message: `cluster ${name} not found` }];
      delete c.fault;
      void options.emulator.setServing(c.name, true);
      save();
      return [200, describe(c)];
    }],
  ];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://sim').pathname;
      let status = 404;
      let payload: unknown = { message: `no route ${req.method} ${path}` };
      try {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
        for (const [method, pattern, handler] of routes) {
          const match = method === req.method ? pattern.exec(path) : null;
          if (match) {
            [status, payload] = handler(match, body);
            break;
          }
        }
      } catch (error) {
        status = 500;
        payload = { message: (error as Error).message };
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await saving;
    },
  };
}
