import { ApiError } from '../errors.ts';
import type { Store } from './client.ts';
import { transact, TransactionConflict, type TransactItem } from './table.ts';

export interface CommitOptions {
  /** The resource the mutation created or changed, for its audit entry. */
  resourceId?: string;
  /** False for the preparatory writes of a multi-step mutation; the last one carries the audit entry. */
  audit?: boolean;
  /** Said in the audit entry beside the action. */
  auditDetail?: string;
}

/**
 * How a mutation commits. The domain hands `commit` its transaction items; the
 * request adds what every write must carry: the caller's guards (its API key and
 * user still valid, so a revoked key cannot change anything) and, once, the audit
 * entry of the accepted change, so the check, the change and its record land in one
 * TransactWriteItems or not at all.
 */
export interface Tx {
  readonly store: Store;
  commit(items: TransactItem[], options?: CommitOptions): Promise<void>;
  /** Whether a commit already wrote this request's audit entry. */
  readonly audited: boolean;
}

export interface TxExtras {
  /** ConditionChecks added to every commit; one failing means the caller is no longer authorized. */
  guards?: TransactItem[];
  /** The audit entry of the accepted mutation, added to the first auditing commit. */
  audit?: (resourceId: string | undefined, detail?: string) => TransactItem;
}

/** DynamoDB's limit is 100 items per transaction; this leaves room for the guards and the audit entry. */
export const MAX_DOMAIN_ITEMS = 95;

export function createTx(store: Store, extras: TxExtras = {}): Tx {
  const guards = extras.guards ?? [];
  let audited = false;
  return {
    store,
    get audited() {
      return audited;
    },
    async commit(items, options = {}) {
      const withAudit = extras.audit !== undefined && !audited && options.audit !== false;
      // A transaction may touch an item once: a mutation of the caller's own key or user is its own guard.
      const touched = new Set(items.map(itemKey));
      const applicable = guards.filter((guard) => !touched.has(itemKey(guard)));
      const all = [...items, ...applicable, ...(withAudit ? [extras.audit!(options.resourceId, options.auditDetail)] : [])];
      try {
        await transact(store, all);
      } catch (error) {
        if (error instanceof TransactionConflict) {
          const guardFailed = error.reasons.slice(items.length, items.length + applicable.length).some((r) => r === 'ConditionalCheckFailed');
          if (guardFailed) throw new ApiError('unauthorized', 'the API key is unknown, revoked or expired');
          // The domain reads reasons by the index of its own items.
          throw new TransactionConflict(error.reasons.slice(0, items.length));
        }
        throw error;
      }
      if (withAudit) audited = true;
    },
  };
}

function itemKey(item: TransactItem): string {
  const key = 'Put' in item ? item.Put.Item : 'Update' in item ? item.Update.Key : 'Delete' in item ? item.Delete.Key : item.ConditionCheck.Key;
  return `${String(key?.pk)}|${String(key?.sk)}`;
}
