import type { ApiError } from '../errors.ts';
import { TransactionConflict, versionConflict, versionIs, type Condition, type Key, type TransactItem } from './table.ts';
import type { Tx } from './tx.ts';

/**
 * Unique names are reservation items written in the same transaction as the resource
 * that claims them, each with attribute_not_exists, so two creates of one name cannot
 * both land.
 */
export function claimName(key: Key, type: string, owner: Record<string, string>): TransactItem {
  return { Put: { Item: { ...key, type, ...owner }, ConditionExpression: 'attribute_not_exists(pk)' } };
}

/** Frees a name, but only while it still points at its owner. */
export function releaseName(key: Key, ownerAttribute: string, ownerId: string): TransactItem {
  return {
    Delete: {
      Key: key,
      ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
      ExpressionAttributeNames: { '#owner': ownerAttribute },
      ExpressionAttributeValues: { ':owner': ownerId },
    },
  };
}

/**
 * Deletes a named resource at the version the caller read, with its name reservation,
 * if `unused` still holds (a reference count at zero): one transaction, so a check and
 * the delete it guards cannot be split by a concurrent create.
 */
export async function deleteNamed(
  tx: Tx,
  target: {
    key: Key;
    version: number;
    what: string;
    ifMatch?: number;
    reservation: { key: Key; ownerAttribute: string; ownerId: string };
    unused?: Condition;
    /** Says why the resource is still in use (called when the delete was refused and the version had not moved). */
    inUse?: () => Promise<ApiError>;
    /** Writes that belong with the delete (the references it held on others, released). */
    also?: TransactItem[];
  },
): Promise<void> {
  const condition = versionIs(target.version, target.unused ? { clause: `(${target.unused.expression})`, values: target.unused.values } : undefined);
  if (target.unused?.names) Object.assign(condition.ExpressionAttributeNames, target.unused.names);
  try {
    await tx.commit(
      [{ Delete: { Key: target.key, ...condition } }, releaseName(target.reservation.key, target.reservation.ownerAttribute, target.reservation.ownerId), ...(target.also ?? [])],
      { resourceId: target.reservation.ownerId },
    );
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const conflict = await versionConflict(tx.store, target.key, target.what, target.ifMatch);
    if (conflict.code === 'conflict' && target.inUse) throw await target.inUse();
    throw conflict;
  }
}
