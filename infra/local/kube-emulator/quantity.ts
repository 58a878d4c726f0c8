/** Minimal Kubernetes resource.Quantity parsing/formatting for the Kubernetes API emulator. */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a quantity ("100m", "1.5Gi", "2", "1e3") into a plain number (cores, bytes, counts). */
export function parseQuantity(input: unknown): number {
  if (typeof input === 'number') return input;
  if (typeof input !== 'string') return 0;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(input.trim());
  if (!match) return 0;
  const [, number = '0', suffix = ''] = match;
  const value = Number(number);
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? 0 : value * factor;
}

/** Formats CPU in cores as Kubernetes would ("250m", "2"). */
export function formatCpu(cores: number): string {
  const millis = Math.round(cores * 1000);
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Formats a byte/count quantity using the largest binary suffix that divides it evenly. */
export function formatBytes(bytes: number): string {
  const rounded = Math.round(bytes);
  if (rounded === 0) return '0';
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const factor = BINARY[suffix] ?? 1;
    if (rounded % factor === 0) return `${rounded / factor}${suffix}`;
  }
  return String(rounded);
}
