/**
 * Capacity per node, for cluster-group capacity. AWS sizes are the published vCPU and
 * memory of common EKS node families; `sim.*` sizes exist only in the simulated cloud. Storage is what a node
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
  't3.small': { cpu: 2, memoryMiB: 2 * GiB, storageGiB: 20 },
  't3.medium': { cpu: 2, memoryMiB: 4 * GiB, storageGiB: 20 },
  't3.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  't3.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  't3.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  't3a.medium': { cpu: 2, memoryMiB: 4 * GiB, storageGiB: 20 },
  't3a.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  't3a.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  't3a.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm5.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm5.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm5.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm5.4xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 20 },
  'm5.8xlarge': { cpu: 32, memoryMiB: 128 * GiB, storageGiB: 20 },
  'm6i.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm6i.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm6i.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm6i.4xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 20 },
  'm6i.8xlarge': { cpu: 32, memoryMiB: 128 * GiB, storageGiB: 20 },
  'm6g.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm6g.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm6g.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm6g.4xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 20 },
  'm7i.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm7i.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm7i.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm7i.4xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 20 },
  'm7g.large': { cpu: 2, memoryMiB: 8 * GiB, storageGiB: 20 },
  'm7g.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'm7g.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'm7g.4xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 20 },
  'c5.large': { cpu: 2, memoryMiB: 4 * GiB, storageGiB: 20 },
  'c5.xlarge': { cpu: 4, memoryMiB: 8 * GiB, storageGiB: 20 },
  'c5.2xlarge': { cpu: 8, memoryMiB: 16 * GiB, storageGiB: 20 },
  'c5.4xlarge': { cpu: 16, memoryMiB: 32 * GiB, storageGiB: 20 },
  'c6i.large': { cpu: 2, memoryMiB: 4 * GiB, storageGiB: 20 },
  'c6i.xlarge': { cpu: 4, memoryMiB: 8 * GiB, storageGiB: 20 },
  'c6i.2xlarge': { cpu: 8, memoryMiB: 16 * GiB, storageGiB: 20 },
  'c6i.4xlarge': { cpu: 16, memoryMiB: 32 * GiB, storageGiB: 20 },
  'c7g.large': { cpu: 2, memoryMiB: 4 * GiB, storageGiB: 20 },
  'c7g.xlarge': { cpu: 4, memoryMiB: 8 * GiB, storageGiB: 20 },
  'c7g.2xlarge': { cpu: 8, memoryMiB: 16 * GiB, storageGiB: 20 },
  'c7g.4xlarge': { cpu: 16, memoryMiB: 32 * GiB, storageGiB: 20 },
  'r5.large': { cpu: 2, memoryMiB: 16 * GiB, storageGiB: 20 },
  'r5.xlarge': { cpu: 4, memoryMiB: 32 * GiB, storageGiB: 20 },
  'r5.2xlarge': { cpu: 8, memoryMiB: 64 * GiB, storageGiB: 20 },
  'r5.4xlarge': { cpu: 16, memoryMiB: 128 * GiB, storageGiB: 20 },
  'r6i.large': { cpu: 2, memoryMiB: 16 * GiB, storageGiB: 20 },
  'r6i.xlarge': { cpu: 4, memoryMiB: 32 * GiB, storageGiB: 20 },
  'r6i.2xlarge': { cpu: 8, memoryMiB: 64 * GiB, storageGiB: 20 },
  'r6i.4xlarge': { cpu: 16, memoryMiB: 128 * GiB, storageGiB: 20 },
  'g5.xlarge': { cpu: 4, memoryMiB: 16 * GiB, storageGiB: 20 },
  'g5.2xlarge': { cpu: 8, memoryMiB: 32 * GiB, storageGiB: 20 },
  'g5.4xlarge': { cpu: 16, memoryMiB: 64 * GiB, storageGiB: 20 },
};

export const isKnownInstanceType = (name: string) => name in instanceTypes;
