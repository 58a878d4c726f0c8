/**
 * `kubeconfig --merge`: the API's kubeconfig folded into the user's own, as
 * `kubectl config` would leave it: entries of the same name replaced, the rest kept,
 * and the new context made current. The file holds credentials: owner-only.
 */
import { chmod, mkdir, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { dump, load } from 'js-yaml';
import { CliFailure } from './errors.ts';

interface Named {
  name: string;
  [field: string]: unknown;
}

interface KubeconfigDocument {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Named[];
  'current-context'?: string;
  [field: string]: unknown;
}

/** The file kubectl reads first: $KUBECONFIG's first entry, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(delimiter).find((path) => path.length > 0);
  return first ?? join(homedir(), '.kube', 'config');
}

function asDocument(value: unknown, what: string): KubeconfigDocument {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new CliFailure(`${what} is not a kubeconfig (a YAML mapping)`);
  const document = value as KubeconfigDocument;
  for (const list of ['clusters', 'users', 'contexts'] as const) {
    const entries = document[list];
    if (entries !== undefined && entries !== null && (!Array.isArray(entries) || entries.some((e) => typeof e?.name !== 'string'))) {
      throw new CliFailure(`${what}: ${list} must be a list of named entries`);
    }
  }
  return document;
}

function mergeEntries(existing: Named[] | undefined | null, incoming: Named[] | undefined | null): Named[] {
  const merged = [...(existing ?? [])];
  for (const entry of incoming ?? []) {
    const at = merged.findIndex((e) => e.name === entry.name);
    if (at >= 0) merged[at] = entry;
    else merged.push(entry);
  }
  return merged;
}

export async function mergeKubeconfig(incomingYaml: string, path = userKubeconfigPath()): Promise<{ path: string; context: string }> {
  const incoming = asDocument(load(incomingYaml), 'the API\'s answer');
  const context = incoming['current-context'];
  if (!context) throw new CliFailure('the API\'s kubeconfig names no current-context');
  let existingText: string | undefined;
  try {
    existingText = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let existing: KubeconfigDocument;
  try {
    existing = asDocument(existingText === undefined ? undefined : load(existingText), path);
  } catch (error) {
    // Never overwrite a file we could not read: it is someone's kubeconfig.
    throw error instanceof CliFailure ? error : new CliFailure(`${path} is not valid YAML, left as it is: ${(error as Error).message}`);
  }
  const merged: KubeconfigDocument = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    ...existing,
    clusters: mergeEntries(existing.clusters, incoming.clusters),
    users: mergeEntries(existing.users, incoming.users),
    contexts: mergeEntries(existing.contexts, incoming.contexts),
    'current-context': context,
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // A symlinked kubeconfig stays a symlink: the file it points at is the one replaced.
  const target = existingText === undefined ? path : await realpath(path);
  // Written aside, then renamed: an interrupted merge leaves the old file whole.
  const partial = `${target}.palette-${process.pid}`;
  await writeFile(partial, dump(merged, { lineWidth: -1 }), { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, target);
  return { path, context };
}

/** What `kubeconfig ID [--merge]` does with the kubeconfig the API handed out: print it, or merge it and say where. */
export async function printOrMerge(out: { text(line: string): void }, kubeconfig: string, merge: boolean | undefined): Promise<void> {
  if (!merge) return out.text(kubeconfig);
  const merged = await mergeKubeconfig(kubeconfig);
  out.text(`Context "${merged.context}" merged into ${merged.path} and set as the current context.`);
}
