import { randomBytes } from 'node:crypto';
import { tokenHash } from '../auth/bearer-token.js';

/** A join secret: `vsj_<join token id>_<43 base64url characters: 256 random bits>`. */
const JOIN_SECRET_PATTERN = /^vsj_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})$/;

/**
 * A new join secret for row `id` and the hash stored for it. Hashed like bearer tokens
 * (bearer-token.ts: SHA-256 of the whole secret); the `vsj_` prefix keeps the two kinds apart,
 * so a join secret is never taken for a bearer token and the reverse.
 */
export function newJoinSecret(id: number): { secret: string; hash: Buffer } {
  const secret = `vsj_${id}_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: tokenHash(secret) };
}

/** The join token id a secret claims, or `undefined` when it is not shaped like a join secret. */
export function joinTokenIdOf(secret: string): number | undefined {
  const match = JOIN_SECRET_PATTERN.exec(secret);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
