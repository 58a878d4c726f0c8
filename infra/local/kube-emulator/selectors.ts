/**
 * Label and field selector parsing/matching for the Kubernetes API emulator, following
 * the syntax accepted by `labelSelector` / `fieldSelector` query parameters.
 */
import { errors } from './errors.ts';
import { getPath } from './json.ts';
import type { KubeObject } from './json.ts';

type LabelRequirement =
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of input) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function invalid(requirement: string): never {
  throw errors.badRequest(`unable to parse requirement: found '${requirement}', expected: valid label selector requirement`);
}

export function parseLabelSelector(input: string | null | undefined): LabelSelector {
  if (!input || input.trim() === '') return [];
  return splitTopLevel(input).map((raw): LabelRequirement => {
    let match = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(raw);
    if (match) {
      const [, key = '', op, list = ''] = match;
      const values = list
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      if (!LABEL_KEY.test(key) || !values.every((v) => LABEL_VALUE.test(v))) invalid(raw);
      return { key, op: op === 'in' ? 'in' : 'notin', values };
    }
    match = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(raw);
    if (match) {
      const [, key = '', op, value = ''] = match;
      if (!LABEL_KEY.test(key)) invalid(raw);
      if (op === '>' || op === '<') {
        if (!/^-?\d+$/.test(value)) invalid(raw);
        return { key, op: op === '>' ? 'gt' : 'lt', value: Number(value) };
      }
      if (!LABEL_VALUE.test(value)) invalid(raw);
      return { key, op: op === '!=' ? '!=' : '=', value };
    }
    match = /^(!?)\s*(\S+)$/.exec(raw);
    if (match) {
      const [, bang, key = ''] = match;
      if (!LABEL_KEY.test(key)) invalid(raw);
      return { key, op: bang ? '!exists' : 'exists' };
    }
    return invalid(raw);
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const actual = labels ?? {};
  return selector.every((req) => {
    const has = Object.hasOwn(actual, req.key);
    const value = actual[req.key];
    switch (req.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return has && value === req.value;
      case '!=':
        return !has || value !== req.value;
      case 'in':
        return has && req.values.includes(value ?? '');
      case 'notin':
        return !has || !req.values.includes(value ?? '');
      case 'gt':
        return has && /^-?\d+$/.test(value ?? '') && Number(value) > req.value;
      case 'lt':
        return has && /^-?\d+$/.test(value ?? '') && Number(value) < req.value;
    }
  });
}

/** Structured `metav1.LabelSelector` (matchLabels + matchExpressions) matching, used by controllers. */
export function matchesLabelSelectorObject(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const actual = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (actual[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(actual, expression.key);
    const value = actual[expression.key] ?? '';
    const values = expression.values ?? [];
    if (expression.operator === 'In' && !(has && values.includes(value))) return false;
    if (expression.operator === 'NotIn' && has && values.includes(value)) return false;
    if (expression.operator === 'Exists' && !has) return false;
    if (expression.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

type FieldRequirement = { path: string[]; field: string; op: '=' | '!='; value: string };
export type FieldSelector = FieldRequirement[];

const SUPPORTED_FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
  PersistentVolumeClaim: ['spec.volumeName'],
  Service: ['spec.clusterIP', 'spec.type'],
  ReplicaSet: ['status.replicas'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

/** events.k8s.io/v1 names the same fields after its own shape. */
const EVENTS_V1_FIELDS: Record<string, string> = {
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
};

export function parseFieldSelector(input: string | null | undefined, kind: string): FieldSelector {
  if (!input || input.trim() === '') return [];
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(SUPPORTED_FIELDS[kind] ?? [])]);
  return input
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((raw) => {
      const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(raw);
      if (!match) throw errors.badRequest(`invalid selector: '${input}'; can't understand '${raw}'`);
      const [, requested = '', op, value = ''] = match;
      const field = kind === 'Event' ? (EVENTS_V1_FIELDS[requested] ?? requested) : requested;
      if (!allowed.has(field)) throw errors.badRequest(`field label not supported: ${requested}`);
      // `source` selects on the reporting component.
      const path = field === 'source' ? ['source', 'component'] : field.split('.');
      return { field, path, op: op === '!=' ? '!=' : '=', value };
    });
}

export function matchesFields(selector: FieldSelector, object: KubeObject): boolean {
  return selector.every((req) => {
    const raw = getPath(object, req.path);
    const actual = raw === undefined || raw === null ? '' : String(raw);
    return req.op === '=' ? actual === req.value : actual !== req.value;
  });
}
