import { createHash, randomBytes } from 'node:crypto';

/** `plt_` + 32 random bytes (base64url). Only the SHA-256 of a key is ever stored. */
export function generateApiKey(): string {
  return `plt_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key from `Authorization: Bearer <key>`, or undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S{16,512})\s*$/i.exec(header);
  return match?.[1];
}
