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

// ---------------------------------------------------------------------------
// Exact quantities, for quota and LimitRange arithmetic and messages
// ---------------------------------------------------------------------------

/** How resource.Quantity remembers to print a value: `1Gi` (binary), `500m` / `2k` (decimal), `1e3`. */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

/** A quantity in thousandths (rounded up, as `MilliValue()` does) with the format it prints in. */
export interface Quantity {
  milli: bigint;
  format: QuantityFormat;
}

export const ZERO_QUANTITY: Quantity = { milli: 0n, format: 'DecimalSI' };

const BINARY_POWERS: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

const ceilDivide = (a: bigint, b: bigint): bigint => (a >= 0n ? (a + b - 1n) / b : a / b);

/** A quantity as Kubernetes parses it, or undefined when it is not one. */
export function toQuantity(input: unknown): Quantity | undefined {
  if (typeof input === 'number' && Number.isFinite(input)) return toQuantity(String(input));
  if (typeof input !== 'string') return undefined;
  const match = QUANTITY.exec(input.trim());
  if (!match) return undefined;
  const [, sign = '', number = '0', exponent, suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  const digits = BigInt(`${whole}${fraction}` || '0') * (sign === '-' ? -1n : 1n);
  const scale = fraction.length;
  if (suffix in BINARY_POWERS) {
    const factor = 1024n ** BigInt(BINARY_POWERS[suffix] ?? 0);
    return { milli: ceilDivide(digits * factor * 1000n, 10n ** BigInt(scale)), format: 'BinarySI' };
  }
  const power = (exponent !== undefined ? Number(exponent) : (DECIMAL_EXPONENTS[suffix] ?? 0)) + 3 - scale;
  const milli = power >= 0 ? digits * 10n ** BigInt(power) : ceilDivide(digits, 10n ** BigInt(-power));
  return { milli, format: exponent !== undefined ? 'DecimalExponent' : 'DecimalSI' };
}

/** `a + b`; a zero takes the other's format, as `Quantity.Add` does. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { milli: a.milli + b.milli, format: a.milli === 0n ? b.format : a.format };
}

const DECIMAL_SUFFIXES: Array<[number, string]> = [[18, 'E'], [15, 'P'], [12, 'T'], [9, 'G'], [6, 'M'], [3, 'k']];
const BINARY_SUFFIXES: Array<[number, string]> = [[6, 'Ei'], [5, 'Pi'], [4, 'Ti'], [3, 'Gi'], [2, 'Mi'], [1, 'Ki']];

/** The canonical string of a quantity, as `Quantity.String()` prints it (`1Gi`, `1500m`, `2k`, `0`). */
export function formatQuantity(quantity: Quantity): string {
  const { milli, format } = quantity;
  if (milli === 0n) return '0';
  const magnitude = milli < 0n ? -milli : milli;
  if (format === 'BinarySI' && magnitude >= 1024n * 1000n && milli % 1000n === 0n) {
    const units = milli / 1000n;
    for (const [power, suffix] of BINARY_SUFFIXES) {
      const factor = 1024n ** BigInt(power);
      if (units % factor === 0n) return `${units / factor}${suffix}`;
    }
    return String(units);
  }
  if (milli % 1000n !== 0n) return `${milli}m`;
  const units = milli / 1000n;
  for (const [power, suffix] of DECIMAL_SUFFIXES) {
    const factor = 10n ** BigInt(power);
    if (units % factor === 0n) return format === 'DecimalExponent' ? `${units / factor}e${power}` : `${units / factor}${suffix}`;
  }
  return String(units);
}
