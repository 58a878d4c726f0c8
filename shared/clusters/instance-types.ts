/**
 * Capacity per node, for cluster-group capacity. EKS sizes are AWS's published vCPU and
 * memory; `sim.*` sizes exist only in the simulated cloud. Storage is what a node
 * offers to PersistentVolumes in this model (its default root/data volume).
 */
export interface NodeCapacity {
  cpu: number;
  memoryMiB: number;
  storageGiB: number;
}

const GiB = 1024;

export const instanceTypes: Record<string, NodeCapacity> = {
  'sim.small': { cpu: 2, memoryMiB: 4 * GiB, storageGiB: 50 },
  'sim.medium': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 100 },
  'sim.large': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 200 },
  'sim.xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 400 },
  'sim.4xlarge': { cpu: 64, memoryMiB: 256 * GiB, storageGiB: 1000 },
  't3.medium': { cpu: 2, memoryMiB: 4 * GiB, storageGiB: 20 },
  't3.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm5.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm5.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm5.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm5.4xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 20 },
  'm6i.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm6i.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm6i.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm7g.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm7g.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm7g.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'c5.xlarge': { cpu: 4, memoryMiB: 8 * GiB, storageGiB: 20 },
  'c5.2xlarge': { cpu: 8, memoryMiB: 16 * GiB, storageGiB: 20 },
  'r5.xlarge': { cpu: 4, memoryMiB: 32 * GiB, storageGiB: 20 },
  'r5.2xlarge': { cpu: 8, memoryMiB: 64 * GiB, storageGiB: 20 },
};

export const isKnownInstanceType = (name: string) => name in instanceTypes;
