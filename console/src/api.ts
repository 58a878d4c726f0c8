/**
 * The console's side of the API: the typed client (client/index.ts) with the key of this
 * browser tab, what the signed-in user may do (from GET /v1/me), and small formatters.
 * The key lives in sessionStorage only: never in a URL, never in localStorage.
 */
import { expectOk, paletteClient, PaletteApiError, type PaletteClient, type Schemas } from '../../client/index.ts';

export { expectOk, PaletteApiError };
export type { PaletteClient, Schemas };

export type Me = Schemas['Me'];
export type Mode = Schemas['Preferences']['mode'];
export type Project = Schemas['Project'];
export type ProjectRole = Me['projectRoles'][number]['role'];

const KEY = 'palette.apiKey';
const PROJECT = 'palette.project';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  setKey: (key: string) => sessionStorage.setItem(KEY, key),
  project: (): string | null => sessionStorage.getItem(PROJECT),
  setProject: (id: string) => sessionStorage.setItem(PROJECT, id),
  clear: () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(PROJECT);
  },
};

/** The API is the console's own origin (`npm start` serves both; CloudFront on AWS). */
export const clientFor = (apiKey: string): PaletteClient => paletteClient({ baseUrl: location.origin, apiKey });

/** What the user may do, as GET /v1/me says; the API still decides every request. */
export class Permissions {
  constructor(readonly me: Me) {}
  get tenantAdmin(): boolean {
    return this.me.roles.includes('tenant.admin');
  }
  get systemAdmin(): boolean {
    return this.me.roles.includes('system.admin');
  }
  /** A tenant admin acts as project.admin in every project of its tenant. */
  roleIn(projectId: string | undefined): ProjectRole | undefined {
    if (this.tenantAdmin) return 'project.admin';
    return this.me.projectRoles.find((r) => r.projectId === projectId)?.role;
  }
  canEdit(projectId: string | undefined): boolean {
    const role = this.roleIn(projectId);
    return role === 'project.admin' || role === 'project.editor';
  }
  canAdmin(projectId: string | undefined): boolean {
    return this.roleIn(projectId) === 'project.admin';
  }
}

/** What every page is handed by the shell. */
export interface Ctx {
  client: PaletteClient;
  me: Me;
  perms: Permissions;
  /** The project picked in the header (every project-scoped page works in it). */
  project: Project;
  projects: Project[];
  mode: Mode;
  navigate(path: string): void;
}

export type Page<T> = { items: T[]; nextCursor: string | null };

/** Follows the cursor to the end (for pickers; lists page with "Load more"). */
export async function all<T>(load: (cursor: string | undefined) => Promise<Page<T>>, max = 1000): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await load(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < max);
  return items;
}

export const problemOf = (error: unknown): { title: string; detail: string; code?: string; errors: Array<{ path: string; message: string }> } => {
  if (error instanceof PaletteApiError) {
    return { title: error.problem.title ?? `Request failed (${error.status})`, detail: error.problem.detail ?? error.message, code: error.problem.code, errors: error.problem.errors ?? [] };
  }
  return { title: 'Something went wrong', detail: error instanceof Error ? error.message : String(error), errors: [] };
};

/** The API's errors[] by path (`body.resources.cpu`), for showing each message at its field. */
export function fieldErrors(error: unknown, prefix = 'body.'): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of problemOf(error).errors) {
    if (!e.path.startsWith(prefix)) continue;
    const key = e.path.slice(prefix.length);
    out.set(key, out.has(key) ? `${out.get(key)}; ${e.message}` : e.message);
  }
  return out;
}

export const gib = (mib: number) => `${Number.isInteger(mib / 1024) ? mib / 1024 : (mib / 1024).toFixed(1)} GiB`;
export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');
export const usd = (n: number) => `$${n.toFixed(n < 1 && n > 0 ? 4 : 2)}`;
export const pct = (used: number, limit: number) => (limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 0);

/** Saves text as a file (a kubeconfig, a CSV) without navigating anywhere. */
export function download(fileName: string, text: string, type = 'application/yaml') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Sets `value` at a dotted path of `target` (form field names are body paths). */
export function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const parts = path.split('.');
  let at = target;
  for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
  at[parts.at(-1)!] = value;
}
