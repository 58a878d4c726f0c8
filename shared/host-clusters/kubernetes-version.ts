/** Orders dotted Kubernetes versions numerically (1.9 < 1.10); -1, 0 or 1. */
export function compareKubernetesVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The Kubernetes version a cluster gets when neither its request nor its profile names one. */
export const DEFAULT_KUBERNETES_VERSION = '1.31';
