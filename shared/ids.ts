import { ulid } from 'ulid';

/** Type prefixes of every id the API hands out. */
export const idPrefixes = {
  tenant: 'tnt',
  user: 'usr',
  apiKey: 'key',
  team: 'team',
  project: 'prj',
  operation: 'op',
  cloudAccount: 'ca',
  clusterProfile: 'cp',
  cluster: 'cl',
  clusterGroup: 'cg',
  virtualCluster: 'vc',
  appProfile: 'ap',
  app: 'app',
  webhook: 'wh',
  audit: 'aud',
  registrationToken: 'rt',
  agent: 'ag',
  task: 'tk',
  workspace: 'ws',
  registry: 'rg',
  backup: 'bk',
} as const;

export type IdKind = keyof typeof idPrefixes;

/** Time-ordered (ULID) so ids sort by creation in lists. */
export function newId(kind: IdKind): string {
  return `${idPrefixes[kind]}_${ulid()}`;
}

const ulidPattern = '[0-9A-HJKMNP-TV-Z]{26}';

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${idPrefixes[kind]}_${ulidPattern}$`);
}

export function isId(kind: IdKind, value: string): boolean {
  return idPattern(kind).test(value);
}
