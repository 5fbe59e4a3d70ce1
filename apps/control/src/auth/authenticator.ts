import { Injectable } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import type { Authenticated } from '@vsnet/store';
import { AuthStore } from '@vsnet/store';

/** The metadata key (lower case, as HTTP/2 carries it) and its scheme. */
const AUTHORIZATION = 'authorization';
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Why a call is not authenticated, in the words its UNAUTHENTICATED answer uses. */
export type AuthenticationFailure = 'missing' | 'malformed' | 'unknown';

/**
 * Reads the bearer token of a call and finds its principal. No cache: a revoked token stops
 * working on the next call.
 */
@Injectable()
export class Authenticator {
  constructor(private readonly store: AuthStore) {}

  async authenticate(
    metadata: Metadata,
  ): Promise<{ ok: true; who: Authenticated } | { ok: false; why: AuthenticationFailure }> {
    const values = metadata.get(AUTHORIZATION);
    if (values.length === 0) {
      return { ok: false, why: 'missing' };
    }
    const value = values[0];
    const match = values.length === 1 && typeof value === 'string' ? BEARER.exec(value) : null;
    if (match?.[1] === undefined) {
      return { ok: false, why: 'malformed' };
    }
    const who = await this.store.authenticate(match[1]);
    return who === undefined ? { ok: false, why: 'unknown' } : { ok: true, who };
  }
}

export const AUTHENTICATION_MESSAGES: Readonly<Record<AuthenticationFailure, string>> = {
  missing:
    'no token: send "authorization: Bearer <token>" (vsnet reads VSNET_TOKEN); vsnet-control init prints the first one',
  malformed: 'the authorization metadata is not "Bearer <token>"; send exactly one bearer token',
  unknown:
    'the token is unknown, revoked or expired; ask an administrator for a new one (vsnet token create)',
};
