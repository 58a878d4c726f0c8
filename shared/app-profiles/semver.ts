/**
 * Semantic versions of app profiles (semver 2.0.0 without build metadata). Numeric
 * identifiers have no leading zeros, so two spellings of one version (1.0.0 and
 * 01.0.0) cannot both be reserved.
 */
const NUMBER = '(?:0|[1-9]\\d*)';
const IDENTIFIER = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
export const SEMVER = new RegExp(`^${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-${IDENTIFIER}(?:\\.${IDENTIFIER})*)?$`);

const isNumeric = (identifier: string) => /^\d+$/.test(identifier);

/** Decimal strings of any length by value (versions may exceed Number's exact range). */
function compareNumbers(a: string, b: string): number {
  return a.length !== b.length ? Math.sign(a.length - b.length) : a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifiers(a: string, b: string): number {
  const numeric = [isNumeric(a), isNumeric(b)];
  if (numeric[0] && numeric[1]) return compareNumbers(a, b);
  if (numeric[0] !== numeric[1]) return numeric[0] ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semver precedence: major, minor and patch numerically; a prerelease is lower than
 * its release; prereleases compare identifier by identifier (numbers numerically and
 * below words, a shorter list lower when all else is equal).
 */
export function compareSemver(a: string, b: string): number {
  const [coreA = '', preA] = splitOnce(a);
  const [coreB = '', preB] = splitOnce(b);
  const partsA = coreA.split('.');
  const partsB = coreB.split('.');
  for (let i = 0; i < 3; i++) {
    const order = compareNumbers(partsA[i] ?? '0', partsB[i] ?? '0');
    if (order !== 0) return order;
  }
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const idsA = preA.split('.');
  const idsB = preB.split('.');
  for (let i = 0; i < Math.min(idsA.length, idsB.length); i++) {
    const order = compareIdentifiers(idsA[i]!, idsB[i]!);
    if (order !== 0) return order;
  }
  return Math.sign(idsA.length - idsB.length);
}

function splitOnce(version: string): [string, string | undefined] {
  const dash = version.indexOf('-');
  return dash === -1 ? [version, undefined] : [version.slice(0, dash), version.slice(dash + 1)];
}

/** The highest of the versions by semver precedence. */
export function highest<T>(items: readonly T[], versionOf: (item: T) => string): T | undefined {
  return items.reduce<T | undefined>((best, item) => (best === undefined || compareSemver(versionOf(item), versionOf(best)) > 0 ? item : best), undefined);
}
