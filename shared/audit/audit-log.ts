import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, tenantOrSystem } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { queryPage, type TransactItem } from '../store/table.ts';
import { auditItem, type AuditItem } from './items.ts';
import { auditEntry } from './schemas.ts';

export type AuditResult = AuditItem['result'];

export const auditResultOf = (status: number): AuditResult =>
  status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failed';

export interface AuditRecord {
  tenantId: string | null;
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  projectId: string | null;
  statusCode: number;
  requestId: string;
  detail?: string;
}

/** The entry of one mutation; calls without a tenant go to the platform's log. */
export function auditPut(record: AuditRecord): TransactItem {
  const at = new Date().toISOString();
  const tenantId = tenantOrSystem(record.tenantId);
  const entry: AuditItem = {
    type: 'audit',
    id: newId('audit'),
    at,
    tenantId,
    actor: record.actor,
    action: record.action,
    resourceType: record.resourceType,
    resourceId: record.resourceId,
    projectId: record.projectId,
    result: auditResultOf(record.statusCode),
    statusCode: record.statusCode,
    requestId: record.requestId,
    ...(record.detail ? { detail: record.detail.slice(0, 2000) } : {}),
  };
  return { Put: { Item: { ...keys.audit(tenantId, at, entry.id), ...entry } } };
}

/**
 * An entry written on its own: for refused mutations (nothing else was written) and
 * for accepted ones that wrote nothing (an idempotent replay). Accepted changes carry
 * theirs inside their own transaction (store/tx.ts).
 */
export async function recordAudit(store: Store, record: AuditRecord): Promise<void> {
  const put = auditPut(record);
  if (!('Put' in put)) return;
  await store.doc.send(new PutCommand({ TableName: store.tableName, ...put.Put }));
}

export const toAuditEntry = (item: AuditItem) => pickFields(auditEntry, item);

export interface AuditFilter {
  projectId?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
}

/** Newest first; time bounds use the sort key, the other filters a FilterExpression. */
export function listAudit(store: Store, tenantId: string | null, filter: AuditFilter, page: { limit: number; cursor?: string }) {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const field of ['projectId', 'actor', 'action'] as const) {
    const value = filter[field];
    if (value !== undefined) {
      conditions.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = value;
    }
  }
  const from = filter.from ? new Date(filter.from).toISOString() : '0000';
  // '~' sorts after every id character, so `to` is inclusive of entries at that instant.
  const to = filter.to ? `${new Date(filter.to).toISOString()}~` : '9999';
  return queryPage(
    store,
    {
      ...lists.audit(tenantOrSystem(tenantId), from, to),
      newestFirst: true,
      filter: conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined,
      ...page,
    },
    auditItem,
  );
}
