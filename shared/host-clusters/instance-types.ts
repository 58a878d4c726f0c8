/**
 * The instance types each provider offers, with the capacity each node brings: the
 * published vCPU, memory and GPUs of common node families per cloud (EKS: AWS EC2, AKS:
 * Azure VM sizes, GKE: Compute Engine machine types); `sim.*` exist only in the
 * simulated cloud. Storage is what a node offers to PersistentVolumes in this model
 * (its default root/data volume: EKS 20 GiB, AKS 128 GiB, GKE 100 GiB). Hourly prices
 * are in usage/prices.ts, the one price table.
 *
 * GPU models are named as the providers' GPU settings need them: GKE's accelerator
 * types (`nvidia-l4`, `nvidia-tesla-a100`) go to `guestAccelerators` as they are.
 */
export type CatalogProvider = 'eks' | 'aks' | 'gke' | 'vsphere' | 'sim';

export interface GpuSpec {
  count: number;
  model: string;
}

export interface NodeCapacity {
  provider: CatalogProvider;
  cpu: number;
  memoryMiB: number;
  storageGiB: number;
  gpu: GpuSpec | null;
}

const GiB = 1024;

/** One provider's types: name → [cpu, memory GiB, storage GiB, GPUs?]. */
type Row = readonly [cpu: number, memoryGiB: number, storageGiB: number, gpu?: GpuSpec];
const family = (provider: CatalogProvider, rows: Record<string, Row>): Record<string, NodeCapacity> =>
  Object.fromEntries(
    Object.entries(rows).map(([name, [cpu, memoryGiB, storageGiB, gpu]]) => [name, { provider, cpu, memoryMiB: memoryGiB * GiB, storageGiB, gpu: gpu ?? null }]),
  );
const gpus = (count: number, model: string): GpuSpec => ({ count, model });

export const instanceTypes: Record<string, NodeCapacity> = {
  ...family('sim', {
    'sim.small': [2, 4, 50],
    'sim.medium': [4, 16, 100],
    'sim.large': [8, 32, 200],
    'sim.xlarge': [16, 64, 400],
    'sim.4xlarge': [64, 256, 1000],
    'sim.gpu.xlarge': [4, 16, 100, gpus(1, 'sim-t4')],
    'sim.gpu.4xlarge': [16, 64, 400, gpus(4, 'sim-t4')],
  }),
  ...family('eks', {
    't3.small': [2, 2, 20],
    't3.medium': [2, 4, 20],
    't3.large': [2, 8, 20],
    't3.xlarge': [4, 16, 20],
    't3.2xlarge': [8, 32, 20],
    't3a.medium': [2, 4, 20],
    't3a.large': [2, 8, 20],
    't3a.xlarge': [4, 16, 20],
    't3a.2xlarge': [8, 32, 20],
    'm5.large': [2, 8, 20],
    'm5.xlarge': [4, 16, 20],
    'm5.2xlarge': [8, 32, 20],
    'm5.4xlarge': [16, 64, 20],
    'm5.8xlarge': [32, 128, 20],
    'm6i.large': [2, 8, 20],
    'm6i.xlarge': [4, 16, 20],
    'm6i.2xlarge': [8, 32, 20],
    'm6i.4xlarge': [16, 64, 20],
    'm6i.8xlarge': [32, 128, 20],
    'm6g.large': [2, 8, 20],
    'm6g.xlarge': [4, 16, 20],
    'm6g.2xlarge': [8, 32, 20],
    'm6g.4xlarge': [16, 64, 20],
    'm7i.large': [2, 8, 20],
    'm7i.xlarge': [4, 16, 20],
    'm7i.2xlarge': [8, 32, 20],
    'm7i.4xlarge': [16, 64, 20],
    'm7g.large': [2, 8, 20],
    'm7g.xlarge': [4, 16, 20],
    'm7g.2xlarge': [8, 32, 20],
    'm7g.4xlarge': [16, 64, 20],
    'c5.large': [2, 4, 20],
    'c5.xlarge': [4, 8, 20],
    'c5.2xlarge': [8, 16, 20],
    'c5.4xlarge': [16, 32, 20],
    'c6i.large': [2, 4, 20],
    'c6i.xlarge': [4, 8, 20],
    'c6i.2xlarge': [8, 16, 20],
    'c6i.4xlarge': [16, 32, 20],
    'c7g.large': [2, 4, 20],
    'c7g.xlarge': [4, 8, 20],
    'c7g.2xlarge': [8, 16, 20],
    'c7g.4xlarge': [16, 32, 20],
    'r5.large': [2, 16, 20],
    'r5.xlarge': [4, 32, 20],
    'r5.2xlarge': [8, 64, 20],
    'r5.4xlarge': [16, 128, 20],
    'r6i.large': [2, 16, 20],
    'r6i.xlarge': [4, 32, 20],
    'r6i.2xlarge': [8, 64, 20],
    'r6i.4xlarge': [16, 128, 20],
    'g5.xlarge': [4, 16, 20, gpus(1, 'nvidia-a10g')],
    'g5.2xlarge': [8, 32, 20, gpus(1, 'nvidia-a10g')],
    'g5.4xlarge': [16, 64, 20, gpus(1, 'nvidia-a10g')],
    'g5.12xlarge': [48, 192, 20, gpus(4, 'nvidia-a10g')],
    'g6.xlarge': [4, 16, 20, gpus(1, 'nvidia-l4')],
    'g6.2xlarge': [8, 32, 20, gpus(1, 'nvidia-l4')],
    'g6.12xlarge': [48, 192, 20, gpus(4, 'nvidia-l4')],
    'p4d.24xlarge': [96, 1152, 20, gpus(8, 'nvidia-a100')],
  }),
  // VM sizes the gateway clones in vCenter (the customer's own hardware: priced per core and GiB in prices.ts).
  ...family('vsphere', {
    'vsphere.small': [2, 8, 60],
    'vsphere.medium': [4, 16, 100],
    'vsphere.large': [8, 32, 200],
    'vsphere.xlarge': [16, 64, 400],
  }),
  ...family('aks', {
    'Standard_B2s': [2, 4, 128],
    'Standard_D2s_v5': [2, 8, 128],
    'Standard_D4s_v5': [4, 16, 128],
    'Standard_D8s_v5': [8, 32, 128],
    'Standard_D16s_v5': [16, 64, 128],
    'Standard_D4as_v5': [4, 16, 128],
    'Standard_D8as_v5': [8, 32, 128],
    'Standard_E4s_v5': [4, 32, 128],
    'Standard_E8s_v5': [8, 64, 128],
    'Standard_F4s_v2': [4, 8, 128],
    'Standard_F8s_v2': [8, 16, 128],
    'Standard_NC4as_T4_v3': [4, 28, 128, gpus(1, 'nvidia-t4')],
    'Standard_NC8as_T4_v3': [8, 56, 128, gpus(1, 'nvidia-t4')],
    'Standard_NC16as_T4_v3': [16, 110, 128, gpus(1, 'nvidia-t4')],
    'Standard_NC64as_T4_v3': [64, 440, 128, gpus(4, 'nvidia-t4')],
    'Standard_NC24ads_A100_v4': [24, 220, 128, gpus(1, 'nvidia-a100')],
    'Standard_ND96asr_v4': [96, 900, 128, gpus(8, 'nvidia-a100')],
  }),
  ...family('gke', {
    'e2-standard-2': [2, 8, 100],
    'e2-standard-4': [4, 16, 100],
    'e2-standard-8': [8, 32, 100],
    'e2-standard-16': [16, 64, 100],
    'n2-standard-4': [4, 16, 100],
    'n2-standard-8': [8, 32, 100],
    'n2-standard-16': [16, 64, 100],
    'n2-highmem-4': [4, 32, 100],
    'n2-highmem-8': [8, 64, 100],
    'c3-standard-4': [4, 16, 100],
    'c3-standard-8': [8, 32, 100],
    'g2-standard-4': [4, 16, 100, gpus(1, 'nvidia-l4')],
    'g2-standard-8': [8, 32, 100, gpus(1, 'nvidia-l4')],
    'g2-standard-24': [24, 96, 100, gpus(2, 'nvidia-l4')],
    'a2-highgpu-1g': [12, 85, 100, gpus(1, 'nvidia-tesla-a100')],
    'a2-highgpu-8g': [96, 680, 100, gpus(8, 'nvidia-tesla-a100')],
  }),
};

export const isKnownInstanceType = (name: string) => Object.hasOwn(instanceTypes, name);

/** The types a provider offers (imported clusters report their own nodes). */
export const instanceTypesOf = (provider: CatalogProvider) => Object.entries(instanceTypes).filter(([, t]) => t.provider === provider);

export interface Capacity {
  cpu: number;
  memoryMiB: number;
  storageGiB: number;
  gpu: number;
}

/** What node pools offer, from their instance types' sizes (types the catalog does not know count for nothing). */
export function nodePoolsCapacity(pools: ReadonlyArray<{ instanceType: string; count: number }>): Capacity {
  const total = { cpu: 0, memoryMiB: 0, storageGiB: 0, gpu: 0 };
  for (const pool of pools) {
    const size = instanceTypes[pool.instanceType];
    if (!size || pool.count <= 0) continue;
    total.cpu += size.cpu * pool.count;
    total.memoryMiB += size.memoryMiB * pool.count;
    total.storageGiB += size.storageGiB * pool.count;
    total.gpu += (size.gpu?.count ?? 0) * pool.count;
  }
  return total;
}

/** What a cluster offers: its node pools', or an edge cluster's hosts' own hardware. */
export function clusterCapacity(cluster: {
  nodePools: ReadonlyArray<{ instanceType: string; count: number }>;
  edge?: { hosts: ReadonlyArray<{ hardware?: { cpu: number; memoryMiB: number; storageGiB: number; gpus?: unknown[] | undefined } | undefined }> } | undefined;
}): Capacity {
  const total = nodePoolsCapacity(cluster.nodePools);
  for (const host of cluster.edge?.hosts ?? []) {
    if (!host.hardware) continue;
    total.cpu += host.hardware.cpu;
    total.memoryMiB += host.hardware.memoryMiB;
    total.storageGiB += host.hardware.storageGiB;
    total.gpu += host.hardware.gpus?.length ?? 0;
  }
  return total;
}

/** The label and taint a GPU pool's nodes carry unless the pool names its own (API.md "Cluster Mode II"). */
export const GPU_MODEL_LABEL = 'palette.dev/gpu-model';
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' } as const;

/** A pool as provisioned: a GPU type's pool gets the GPU label and taint it does not set itself. */
export function withGpuDefaults<P extends { instanceType: string; labels?: Record<string, string>; taints?: Array<{ key: string; value?: string; effect: string }> }>(pool: P): P {
  const gpu = instanceTypes[pool.instanceType]?.gpu;
  if (!gpu) return pool;
  const labels = { [GPU_MODEL_LABEL]: gpu.model, ...pool.labels };
  const taints = pool.taints?.some((t) => t.key === GPU_TAINT.key) ? pool.taints : [...(pool.taints ?? []), { ...GPU_TAINT }];
  return { ...pool, labels, taints };
}
