/**
 * Every unit and price the usage rollup uses, in one table (README "Usage and cost"
 * lists it). The model is OpenCost's:
 *
 *   host cluster cost / h = control plane / h + Σ nodes' hourly list price + storage
 *                           (GiB × price per GiB-month / 730 h)
 *
 * A host's node cost is split into a price per core-hour and per GiB-hour of memory
 * in the ratio of OpenCost's default CPU and RAM prices (OpenCost does the same when a
 * node's price is known but not its breakdown): with c cores, m GiB and hourly node
 * cost P, ramPerGiBHour = P / (c·r + m) and cpuPerCoreHour = r · ramPerGiBHour, where
 * r = defaultCpu / defaultRam, so c·cpu + m·ram = P exactly. Virtual clusters (and the
 * apps inside them) are charged their allocation at their host's prices; what the host
 * costs beyond the allocations is the host's idle cost (OpenCost's `__idle__`).
 *
 * `sim` is the simulated cloud: its list prices are ours, chosen as whole multiples of
 * $0.02 per core-hour and $0.0025 per GiB-hour (so the split gives back exactly those),
 * storage at $0.073 per GiB-month ($0.0001 per GiB-hour).
 */
import { instanceTypes, type CatalogProvider } from '../host-clusters/instance-types.ts';
import type { HostClusterItem } from '../host-clusters/items.ts';

export const CURRENCY = 'USD';

/** OpenCost's month: 730 hours. */
export const HOURS_PER_MONTH = 730;

/** OpenCost's default on-demand prices, used only for their ratio (CPU : RAM). */
export const OPENCOST_DEFAULT = { cpuPerCoreHour: 0.031611, ramPerGiBHour: 0.004237 } as const;

export interface ProviderPrices {
  /** The managed control plane, per cluster-hour (EKS: $0.10). */
  controlPlanePerHour: number;
  /** Node volumes and persistent volumes, per GiB-month. */
  storagePerGiBMonth: number;
  /** The CPU : RAM ratio the node price is split by. */
  split: { cpuPerCoreHour: number; ramPerGiBHour: number };
}

export const providerPrices: Record<HostClusterItem['provider'], ProviderPrices> = {
  // us-east-1 list prices: EKS standard support, gp3 volumes.
  eks: { controlPlanePerHour: 0.1, storagePerGiBMonth: 0.08, split: OPENCOST_DEFAULT },
  sim: { controlPlanePerHour: 0.05, storagePerGiBMonth: 0.073, split: { cpuPerCoreHour: 0.02, ramPerGiBHour: 0.0025 } },
  // AKS Standard tier (the uptime SLA production clusters run on), Premium SSD (P10: $19.71 / 128 GiB).
  aks: { controlPlanePerHour: 0.1, storagePerGiBMonth: 0.154, split: OPENCOST_DEFAULT },
  // GKE Standard edition cluster management fee, pd-balanced disks.
  gke: { controlPlanePerHour: 0.1, storagePerGiBMonth: 0.1, split: OPENCOST_DEFAULT },
  // vSphere VMs run on the customer's hardware: no control plane fee, nodes at OWNED_HARDWARE per core and GiB.
  vsphere: { controlPlanePerHour: 0, storagePerGiBMonth: 0.05, split: OPENCOST_DEFAULT },
  // Edge hosts are owned hardware: no control plane fee (their hosts' cost is OWNED_HARDWARE's to model).
  edge: { controlPlanePerHour: 0, storagePerGiBMonth: 0.05, split: OPENCOST_DEFAULT },
  // A cluster brought by kubeconfig: its control plane is paid elsewhere; nodes by type when known.
  imported: { controlPlanePerHour: 0, storagePerGiBMonth: 0.08, split: OPENCOST_DEFAULT },
};

/**
 * Owned hardware (vSphere VMs, edge hosts) has no list price: it is costed per core-hour
 * and GiB-hour of memory at roughly a three-year amortisation of a commodity server
 * with power and space ($0.012 per core-hour, $0.0016 per GiB-hour). A site with its
 * own figures changes them here.
 */
export const OWNED_HARDWARE = { cpuPerCoreHour: 0.012, ramPerGiBHour: 0.0016 } as const;

/**
 * An owned machine of no catalog type (an edge host) is metered as `owned:<cpu>:<memoryMiB>:<storageGiB>`
 * and priced at OWNED_HARDWARE, so usage and reports count it like any node.
 */
export const ownedNodeType = (hardware: { cpu: number; memoryMiB: number; storageGiB: number }) => `owned:${hardware.cpu}:${hardware.memoryMiB}:${hardware.storageGiB}`;

function ownedNodeSize(instanceType: string): { cpu: number; memoryMiB: number; storageGiB: number } | undefined {
  const match = /^owned:(\d+):(\d+):(\d+)$/.exec(instanceType);
  return match ? { cpu: Number(match[1]), memoryMiB: Number(match[2]), storageGiB: Number(match[3]) } : undefined;
}

const ownedPrice = (cpu: number, memoryGiB: number) => Math.round((cpu * OWNED_HARDWARE.cpuPerCoreHour + memoryGiB * OWNED_HARDWARE.ramPerGiBHour) * 10_000) / 10_000;

/**
 * On-demand Linux price per node-hour: AWS in us-east-1, Azure in eastus, Google Cloud in
 * us-central1 (the catalog's reference regions), the simulated cloud's own list. A GPU
 * node's price includes its GPUs; the rollup splits it over CPU and memory like any other.
 */
export const nodePricePerHour: Record<string, number> = {
  'sim.small': 0.05,
  'sim.medium': 0.12,
  'sim.large': 0.24,
  'sim.xlarge': 0.48,
  'sim.4xlarge': 1.92,
  // sim GPUs list at $0.40 per GPU-hour on top of the node's CPU and memory.
  'sim.gpu.xlarge': 0.52,
  'sim.gpu.4xlarge': 2.08,
  'vsphere.small': ownedPrice(2, 8),
  'vsphere.medium': ownedPrice(4, 16),
  'vsphere.large': ownedPrice(8, 32),
  'vsphere.xlarge': ownedPrice(16, 64),
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't3.2xlarge': 0.3328,
  't3a.medium': 0.0376,
  't3a.large': 0.0752,
  't3a.xlarge': 0.1504,
  't3a.2xlarge': 0.3008,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm5.4xlarge': 0.768,
  'm5.8xlarge': 1.536,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6i.2xlarge': 0.384,
  'm6i.4xlarge': 0.768,
  'm6i.8xlarge': 1.536,
  'm6g.large': 0.077,
  'm6g.xlarge': 0.154,
  'm6g.2xlarge': 0.308,
  'm6g.4xlarge': 0.616,
  'm7i.large': 0.1008,
  'm7i.xlarge': 0.2016,
  'm7i.2xlarge': 0.4032,
  'm7i.4xlarge': 0.8064,
  'm7g.large': 0.0816,
  'm7g.xlarge': 0.1632,
  'm7g.2xlarge': 0.3264,
  'm7g.4xlarge': 0.6528,
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c5.2xlarge': 0.34,
  'c5.4xlarge': 0.68,
  'c6i.large': 0.085,
  'c6i.xlarge': 0.17,
  'c6i.2xlarge': 0.34,
  'c6i.4xlarge': 0.68,
  'c7g.large': 0.0725,
  'c7g.xlarge': 0.145,
  'c7g.2xlarge': 0.289,
  'c7g.4xlarge': 0.578,
  'r5.large': 0.126,
  'r5.xlarge': 0.252,
  'r5.2xlarge': 0.504,
  'r5.4xlarge': 1.008,
  'r6i.large': 0.126,
  'r6i.xlarge': 0.252,
  'r6i.2xlarge': 0.504,
  'r6i.4xlarge': 1.008,
  'g5.xlarge': 1.006,
  'g5.2xlarge': 1.212,
  'g5.4xlarge': 1.624,
  'g5.12xlarge': 5.672,
  'g6.xlarge': 0.8048,
  'g6.2xlarge': 0.9776,
  'g6.12xlarge': 4.6016,
  'p4d.24xlarge': 32.7726,
  'Standard_B2s': 0.0416,
  'Standard_D2s_v5': 0.096,
  'Standard_D4s_v5': 0.192,
  'Standard_D8s_v5': 0.384,
  'Standard_D16s_v5': 0.768,
  'Standard_D4as_v5': 0.172,
  'Standard_D8as_v5': 0.344,
  'Standard_E4s_v5': 0.252,
  'Standard_E8s_v5': 0.504,
  'Standard_F4s_v2': 0.169,
  'Standard_F8s_v2': 0.338,
  'Standard_NC4as_T4_v3': 0.526,
  'Standard_NC8as_T4_v3': 0.752,
  'Standard_NC16as_T4_v3': 1.204,
  'Standard_NC64as_T4_v3': 4.352,
  'Standard_NC24ads_A100_v4': 3.673,
  'Standard_ND96asr_v4': 27.197,
  'e2-standard-2': 0.067006,
  'e2-standard-4': 0.134012,
  'e2-standard-8': 0.268024,
  'e2-standard-16': 0.536048,
  'n2-standard-4': 0.194236,
  'n2-standard-8': 0.388472,
  'n2-standard-16': 0.776944,
  'n2-highmem-4': 0.262028,
  'n2-highmem-8': 0.524056,
  'c3-standard-4': 0.201608,
  'c3-standard-8': 0.403216,
  'g2-standard-4': 0.706832,
  'g2-standard-8': 0.853624,
  'g2-standard-24': 2.000496,
  'a2-highgpu-1g': 3.673385,
  'a2-highgpu-8g': 29.38708,
};

export interface NodeGroup {
  instanceType: string;
  count: number;
}

/** What a host offers and costs per hour, and the unit prices its virtual clusters pay. */
export interface HostRates {
  capacity: { cpu: number; memoryGiB: number; storageGiB: number };
  /** Per hour: control plane + nodes (compute), node volumes (storage). */
  hourly: { controlPlane: number; nodes: number; storage: number };
  cpuPerCoreHour: number;
  ramPerGiBHour: number;
  storagePerGiBHour: number;
}

export function hostRates(provider: HostClusterItem['provider'], nodes: readonly NodeGroup[]): HostRates {
  const prices = providerPrices[provider];
  let cpu = 0;
  let memoryGiB = 0;
  let storageGiB = 0;
  let nodeCost = 0;
  for (const group of nodes) {
    const owned = ownedNodeSize(group.instanceType);
    const size = instanceTypes[group.instanceType] ?? owned;
    if (!size || group.count <= 0) continue;
    cpu += size.cpu * group.count;
    memoryGiB += (size.memoryMiB / 1024) * group.count;
    storageGiB += size.storageGiB * group.count;
    const price = owned ? ownedPrice(owned.cpu, owned.memoryMiB / 1024) : (nodePricePerHour[group.instanceType] ?? 0);
    nodeCost += price * group.count;
  }
  const ratio = prices.split.cpuPerCoreHour / prices.split.ramPerGiBHour;
  const ramPerGiBHour = cpu + memoryGiB > 0 ? nodeCost / (cpu * ratio + memoryGiB) : 0;
  const storagePerGiBHour = prices.storagePerGiBMonth / HOURS_PER_MONTH;
  return {
    capacity: { cpu, memoryGiB, storageGiB },
    hourly: { controlPlane: prices.controlPlanePerHour, nodes: nodeCost, storage: storageGiB * storagePerGiBHour },
    cpuPerCoreHour: ratio * ramPerGiBHour,
    ramPerGiBHour,
    storagePerGiBHour,
  };
}

/** The rates a virtual cluster whose host is unknown to the rollup pays: none (counted as unpriced). */
export const NO_RATES: HostRates = {
  capacity: { cpu: 0, memoryGiB: 0, storageGiB: 0 },
  hourly: { controlPlane: 0, nodes: 0, storage: 0 },
  cpuPerCoreHour: 0,
  ramPerGiBHour: 0,
  storagePerGiBHour: 0,
};

/** The catalog as GET /v1/instancetypes lists it: sizes from instance-types.ts, prices from this table. */
export function listInstanceTypes(provider?: CatalogProvider) {
  return Object.entries(instanceTypes)
    .filter(([, type]) => !provider || type.provider === provider)
    .map(([name, type]) => ({ name, provider: type.provider, cpu: type.cpu, memoryMiB: type.memoryMiB, storageGiB: type.storageGiB, gpu: type.gpu, pricePerHour: nodePricePerHour[name] ?? 0 }));
}
