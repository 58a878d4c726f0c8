import type { Mode, Permissions } from './api.ts';

export interface Route {
  path: string;
  title: string;
  mode: Mode;
  tag: string;
  load: () => Promise<unknown>;
  /** Shown in the navigation (detail pages are not). */
  nav?: boolean;
  /** Hidden from the navigation of users who may not use it at all (the API would refuse). */
  visible?: (perms: Permissions) => boolean;
}

const tenantAdmin = (p: Permissions) => p.tenantAdmin;

export const routes: Route[] = [
  { path: 'app/virtual-clusters', title: 'Virtual clusters', mode: 'app', tag: 'page-virtual-clusters', load: () => import('./pages/app/virtual-clusters.ts'), nav: true },
  { path: 'app/apps', title: 'Apps', mode: 'app', tag: 'page-apps', load: () => import('./pages/app/apps.ts'), nav: true },
  { path: 'app/app-profiles', title: 'App profiles', mode: 'app', tag: 'page-app-profiles', load: () => import('./pages/app/app-profiles.ts'), nav: true },
  { path: 'cluster/clusters', title: 'Clusters', mode: 'cluster', tag: 'page-clusters', load: () => import('./pages/cluster/clusters.ts'), nav: true },
  { path: 'cluster/clusters/new', title: 'Create a cluster', mode: 'cluster', tag: 'page-cluster-wizard', load: () => import('./pages/cluster/cluster-wizard.ts') },
  { path: 'cluster/clusters/:id', title: 'Cluster', mode: 'cluster', tag: 'page-cluster', load: () => import('./pages/cluster/cluster.ts') },
  { path: 'cluster/cluster-profiles', title: 'Cluster profiles', mode: 'cluster', tag: 'page-cluster-profiles', load: () => import('./pages/cluster/cluster-profiles.ts'), nav: true },
  { path: 'cluster/cloud-accounts', title: 'Cloud accounts', mode: 'cluster', tag: 'page-cloud-accounts', load: () => import('./pages/cluster/cloud-accounts.ts'), nav: true },
  { path: 'cluster/cluster-groups', title: 'Cluster groups', mode: 'cluster', tag: 'page-cluster-groups', load: () => import('./pages/cluster/cluster-groups.ts'), nav: true },
  { path: 'cluster/workspaces', title: 'Workspaces', mode: 'cluster', tag: 'page-workspaces', load: () => import('./pages/cluster/workspaces.ts'), nav: true },
  { path: 'cluster/projects', title: 'Projects', mode: 'cluster', tag: 'page-projects', load: () => import('./pages/cluster/projects.ts'), nav: true },
  { path: 'cluster/members', title: 'Members and teams', mode: 'cluster', tag: 'page-members', load: () => import('./pages/cluster/members.ts'), nav: true },
  { path: 'cluster/registries', title: 'Registries', mode: 'cluster', tag: 'page-registries', load: () => import('./pages/cluster/registries.ts'), nav: true },
  { path: 'cluster/usage', title: 'Usage', mode: 'cluster', tag: 'page-usage', load: () => import('./pages/cluster/usage.ts'), nav: true },
  { path: 'cluster/reports', title: 'Reports', mode: 'cluster', tag: 'page-reports', load: () => import('./pages/cluster/reports.ts'), nav: true, visible: tenantAdmin },
  { path: 'cluster/audit', title: 'Audit log', mode: 'cluster', tag: 'page-audit', load: () => import('./pages/cluster/audit.ts'), nav: true, visible: tenantAdmin },
];

export const home: Record<Mode, string> = { app: 'app/virtual-clusters', cluster: 'cluster/clusters' };

/** The route of a path below the base (`cluster/clusters/cl_…`) and its parameters. */
export function match(path: string): { route: Route; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/');
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (pattern.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = decodeURIComponent(parts[i]!)), true) : p === parts[i]))) return { route, params };
  }
  return undefined;
}
