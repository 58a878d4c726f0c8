import { keys, tenantOrSystem } from '../store/keys.ts';
import { apiKeyItem, userItem, type UserItem } from '../tenancy/items.ts';
import { getItem, type TransactItem } from '../store/table.ts';
import type { Store } from '../store/client.ts';

export type PrincipalRole = UserItem['role'];

/** Who is calling: resolved from an API key by the authorizer, re-checked by handlers. */
export interface Principal {
  userId: string;
  tenantId: string | null;
  role: PrincipalRole;
  keyHash: string;
  /** The user item as read for this request (handlers need not read it again); absent when the principal was not read. */
  user?: UserItem;
}

const isLive = (expiresAt: string | null, now: Date) => expiresAt === null || Date.parse(expiresAt) > now.getTime();

/** Key hash → principal; undefined when the key is unknown, expired, or its user is gone. */
export async function principalFromKeyHash(store: Store, keyHash: string, now = new Date()): Promise<Principal | undefined> {
  const key = await getItem(store, keys.apiKeyByHash(keyHash), apiKeyItem);
  if (!key || !isLive(key.expiresAt, now)) return undefined;
  const user = await getItem(store, keys.user(tenantOrSystem(key.tenantId), key.userId), userItem);
  return user ? toPrincipal(keyHash, user) : undefined;
}

/**
 * The caller's key and user: what the handler re-reads of an authorizer result (API
 * Gateway may have cached it), first in the request's read-ahead batch, so a deleted
 * key or user is refused at once and the role is current.
 */
export const principalKeys = (claimed: { keyHash: string; userId: string; tenantId: string | null }) => [
  keys.apiKeyByHash(claimed.keyHash),
  keys.user(tenantOrSystem(claimed.tenantId), claimed.userId),
];

/** The principal those items prove; undefined when the key is gone, expired or another user's. */
export function principalFromItems(keyHash: string, keyRaw: Record<string, unknown> | undefined, userRaw: Record<string, unknown> | undefined, now = new Date()): Principal | undefined {
  if (!keyRaw || !userRaw) return undefined;
  const key = apiKeyItem.parse(keyRaw);
  const user = userItem.parse(userRaw);
  if (key.userId !== user.id || !isLive(key.expiresAt, now)) return undefined;
  return toPrincipal(keyHash, user);
}

/**
 * The principal as the authorizer described it, unread: only for a mutation whose
 * transaction carries {@link principalGuards}, which check exactly these claims.
 */
export function principalFromClaims(claimed: { keyHash: string; userId: string; tenantId: string | null; role: PrincipalRole }): Principal {
  return { userId: claimed.userId, tenantId: claimed.tenantId, role: claimed.role, keyHash: claimed.keyHash };
}

function toPrincipal(keyHash: string, user: UserItem): Principal {
  return { userId: user.id, tenantId: user.tenantId, role: user.role, keyHash, user };
}

/**
 * The checks every write of this caller carries inside its own transaction: the key
 * still exists for this user and has not expired, and the user still exists with the
 * role it was authorized with. A key revoked a moment ago cannot change anything.
 */
export function principalGuards(principal: Principal): TransactItem[] {
  return [
    {
      ConditionCheck: {
        Key: keys.apiKeyByHash(principal.keyHash),
        ConditionExpression: 'attribute_exists(pk) AND userId = :user AND (attribute_type(expiresAt, :null) OR expiresAt > :now)',
        ExpressionAttributeValues: { ':user': principal.userId, ':null': 'NULL', ':now': new Date().toISOString() },
      },
    },
    {
      ConditionCheck: {
        Key: keys.user(tenantOrSystem(principal.tenantId), principal.userId),
        ConditionExpression: 'attribute_exists(pk) AND #role = :role',
        ExpressionAttributeNames: { '#role': 'role' },
        ExpressionAttributeValues: { ':role': principal.role },
      },
    },
  ];
}
