import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bearer secret: `vsn_<token id>_<43 base64url characters: 256 random bits>`. */
const SECRET_PATTERN = /^vsn_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})$/;

/** The random part of a new token and the hash stored for it. */
export function newTokenSecret(id: number): { secret: string; hash: Buffer } {
  const secret = `vsn_${id}_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: tokenHash(secret) };
}

/** SHA-256 of the whole secret: 256 random bits need no stretching, and lookup stays one read. */
export function tokenHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** The token id a secret claims, or `undefined` when it is not shaped like one of ours. */
export function tokenIdOf(secret: string): number | undefined {
  const match = SECRET_PATTERN.exec(secret);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Whether `secret` is the one `stored` was made from, in constant time. */
export function secretMatches(secret: string, stored: Buffer): boolean {
  const hash = tokenHash(secret);
  return hash.length === stored.length && timingSafeEqual(hash, stored);
}
