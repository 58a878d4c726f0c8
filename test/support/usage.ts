/**
 * Allocation history written straight into DynamoDB, as the platform's own
 * transactions write it (shared/usage/meters.ts): a day of usage cannot be waited for
 * in a test, so its meters are seeded with the times the scenario needs.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { keys, type ResourceKind } from '#shared/store/keys.ts';
import type { Store } from '#shared/store/client.ts';
import type { MeterItem, MeterSegment } from '#shared/usage/meters.ts';

export interface SeededMeter {
  kind: ResourceKind;
  tenantId: string;
  projectId: string;
  id: string;
  name: string;
  host?: { tenantId: string; projectId: string; clusterId: string };
  ownerId?: string;
  virtualClusterId?: string;
  segments: MeterSegment[];
}

export function meterRow(meter: SeededMeter): Record<string, unknown> {
  const item: MeterItem = {
    type: 'meter',
    kind: meter.kind,
    tenantId: meter.tenantId,
    projectId: meter.projectId,
    resourceId: meter.id,
    name: meter.name,
    ...(meter.host ? { host: meter.host } : {}),
    ...(meter.ownerId ? { ownerId: meter.ownerId } : {}),
    ...(meter.virtualClusterId ? { virtualClusterId: meter.virtualClusterId } : {}),
    segments: meter.segments,
  };
  return { ...keys.meter(meter.tenantId, meter.kind, meter.id), ...keys.meterIndex(meter.kind, meter.tenantId, meter.id, meter.segments[0]!.at), ...item };
}

export async function seedMeters(store: Store, meters: SeededMeter[]): Promise<void> {
  const rows = meters.map(meterRow);
  for (let i = 0; i < rows.length; i += 25) {
    let pending = rows.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending.length) {
      const out = await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: pending } }));
      pending = (out.UnprocessedItems?.[store.tableName] ?? []) as typeof pending;
    }
  }
}
