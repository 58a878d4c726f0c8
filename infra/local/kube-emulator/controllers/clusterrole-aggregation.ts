/**
 * ClusterRole aggregation controller of the Kubernetes API emulator, as
 * kube-controller-manager's clusterrole-aggregation controller: a ClusterRole with an
 * `aggregationRule` has as rules the union of the rules of every other ClusterRole its
 * selectors match, in selector order and then by role name, kept up to date as roles
 * come, go and change labels or rules.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone, deepEqual, isObject } from '../json.ts';
import type { KubeObject } from '../json.ts';
import { CLUSTER_ROLE } from '../rbac.ts';
import { matchesLabelSelectorObject } from '../selectors.ts';
import type { Controller, ControllerContext } from './base.ts';

const MANAGER = 'clusterrole-aggregation-controller';

type Selector = Parameters<typeof matchesLabelSelectorObject>[0];

const selectorsOf = (role: KubeObject): Selector[] =>
  isObject(role.aggregationRule) && Array.isArray(role.aggregationRule.clusterRoleSelectors) ? (role.aggregationRule.clusterRoleSelectors.filter(isObject) as Selector[]) : [];

export class ClusterRoleAggregationController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, _event: StoreEvent | undefined): void {
    if (object.kind !== 'ClusterRole') return;
    // Any role's labels or rules can feed any aggregated role.
    for (const role of cluster.scan(CLUSTER_ROLE)) {
      if (selectorsOf(role).length === 0) continue;
      const name = role.metadata.name ?? '';
      this.context.enqueue(cluster, `clusterrole-aggregation/${name}`, () => this.reconcile(cluster, name));
    }
  }

  private reconcile(cluster: ClusterState, name: string): void {
    const role = cluster.peek(CLUSTER_ROLE, undefined, name);
    if (!role) return;
    const selectors = selectorsOf(role);
    if (selectors.length === 0) return;
    const all = [...cluster.scan(CLUSTER_ROLE)].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    const rules: unknown[] = [];
    for (const selector of selectors) {
      for (const source of all) {
        if (source.metadata.name === name || !matchesLabelSelectorObject(selector, source.metadata.labels)) continue;
        for (const rule of Array.isArray(source.rules) ? source.rules : []) if (!rules.some((r) => deepEqual(r, rule))) rules.push(clone(rule));
      }
    }
    if (deepEqual(role.rules ?? [], rules)) return;
    cluster.controllerWrite(CLUSTER_ROLE, { ...clone(role), rules }, MANAGER);
  }
}
