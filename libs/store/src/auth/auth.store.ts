import { randomBytes } from 'node:crypto';
import { EditRefusal } from '@vsnet/model';
import { In } from 'typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEntity } from '../entities/audit.entity.js';
import { ClusterEntity } from '../entities/cluster.entity.js';
import {
  PrincipalEntity,
  PrincipalGrantEntity,
  TokenEntity,
} from '../entities/principal.entity.js';
import { VsvrEntity } from '../entities/vsvr.entity.js';
import type { AuditedCaller } from '../cluster-state/cluster-state.types.js';
import { inTransaction } from '../transaction.js';
import { newTokenSecret, secretMatches, tokenIdOf } from './bearer-token.js';
import { fitsAsciiColumn } from '../entities/columns.js';

/** What a principal may do (§3.1.1): NETWORK on the cluster or on some vsvrs, or read. */
export type PrincipalRole = 'cluster-network' | 'vsvr-network' | 'read-only';

export interface PrincipalView {
  readonly name: string;
  readonly role: PrincipalRole;
  /** The vsvrs of a vsvr-network principal's scope, in name order; empty otherwise. */
  readonly vsvrs: readonly string[];
  readonly createdAt: Date;
}

export interface TokenView {
  readonly id: string;
  readonly principal: string;
  readonly description: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
}

/** Who a bearer secret belongs to. */
export interface Authenticated {
  readonly principal: PrincipalView;
  readonly tokenId: string;
}

/** Principal names: lower case, like a login. */
export const PRINCIPAL_NAME_PATTERN = /^[a-z][a-z0-9._-]{0,62}$/;
/** The one cluster row (ClusterStateStore keeps the head in id 1). */
const CLUSTER_ROW_ID = 1;

/** Longest token description (its column). */
export const TOKEN_DESCRIPTION_LENGTH = 63;

/**
 * Latest expiry a token may have, from now: about ten years. Beyond it an expiry is almost
 * surely a unit mistake (seconds for milliseconds), and a DATETIME cannot hold past year 9999.
 */
export const MAX_TOKEN_LIFETIME_MS = 3653 * 24 * 3600 * 1000;

/**
 * Principals, their grants and bearer tokens. Every change writes its audit row in the same
 * transaction; none changes the cluster generation (audit rows carry none). Secrets are never
 * stored: only their SHA-256 (bearer-token.ts).
 */
export class AuthStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The cluster generation principal and token answers report (they do not change it): the
   * stored one, `'0'` before the cluster exists.
   */
  async clusterGeneration(): Promise<string> {
    const head = await this.dataSource.manager.findOne(ClusterEntity, {
      select: { id: true, generation: true },
      where: { id: CLUSTER_ROW_ID },
    });
    return head?.generation ?? '0';
  }

  /** Whether any principal exists (`vsnet-control init` creates the first). */
  async hasPrincipals(): Promise<boolean> {
    return (await this.dataSource.manager.count(PrincipalEntity)) > 0;
  }

  /** The principal and token behind `secret`; `undefined` for an unknown, revoked or expired one. */
  async authenticate(secret: string, now = new Date()): Promise<Authenticated | undefined> {
    const id = tokenIdOf(secret);
    if (id === undefined) {
      return undefined;
    }
    const manager = this.dataSource.manager;
    const token = await manager.findOne(TokenEntity, { where: { id } });
    if (
      token === null ||
      !secretMatches(secret, token.tokenHash) ||
      token.revokedAt !== null ||
      (token.expiresAt !== null && token.expiresAt.getTime() <= now.getTime())
    ) {
      return undefined;
    }
    const principal = await manager.findOne(PrincipalEntity, { where: { id: token.principalId } });
    if (principal === null) {
      return undefined;
    }
    return { principal: await this.view(manager, principal), tokenId: String(token.id) };
  }

  /**
   * Creates a principal. Refused: a name that is not lower case letters, digits, `.`, `_`, `-`
   * (INVALID_ARGUMENT), a vsvr scope on another role or none on vsvr-network, a scope vsvr that
   * does not exist (FAILED_PRECONDITION), a name in use (ALREADY_EXISTS).
   */
  async createPrincipal(
    name: string,
    role: PrincipalRole,
    vsvrs: readonly string[],
    caller: AuditedCaller,
  ): Promise<PrincipalView> {
    if (!PRINCIPAL_NAME_PATTERN.test(name)) {
      throw EditRefusal.field(
        'invalid-argument',
        'name',
        `"${name}" is not a principal name; use 1–63 lower case letters, digits, ".", "_" or "-", starting with a letter`,
      );
    }
    if (role === 'vsvr-network' && vsvrs.length === 0) {
      throw EditRefusal.field(
        'invalid-argument',
        'vsvrs',
        'a vsvr-scoped NETWORK principal needs at least one vsvr; name the vsvrs it may change',
      );
    }
    if (role !== 'vsvr-network' && vsvrs.length > 0) {
      throw EditRefusal.field(
        'invalid-argument',
        'vsvrs',
        'only a vsvr-scoped NETWORK principal has vsvrs; drop them or choose that role',
      );
    }
    const duplicate = (): EditRefusal =>
      EditRefusal.field(
        'already-exists',
        'name',
        `a principal named "${name}" exists; choose another name`,
        'principal.duplicate',
      );
    return inTransaction(this.dataSource, async (manager) => {
      if (vsvrs.length > 0) {
        // Holds off a commit that deletes a scope vsvr (and its grants) until this one is done,
        // so no grant outlives its vsvr (see dropGrantsOfRemovedVsvrs).
        await manager.query('SELECT id FROM cluster WHERE id = ? LOCK IN SHARE MODE', [
          CLUSTER_ROW_ID,
        ]);
      }
      const scope = await this.resolveVsvrs(manager, vsvrs);
      if ((await manager.count(PrincipalEntity, { where: { name } })) > 0) {
        throw duplicate();
      }
      const createdAt = new Date();
      // A concurrent create of the same name passes the count above too; the unique key decides.
      const inserted = await manager
        .insert(PrincipalEntity, { name, createdAt })
        .catch((error: unknown) => {
          throw driverCode(error) === 'ER_DUP_ENTRY' ? duplicate() : error;
        });
      const id = Number((inserted.identifiers[0] as { id: number }).id);
      await manager.insert(PrincipalGrantEntity, grantsOf(id, role, scope));
      const view: PrincipalView = { name, role, vsvrs: scope, createdAt };
      await audit(manager, caller, `principal ${name}`, '', describePrincipal(view));
      return view;
    });
  }

  /** Every principal in name order, `limit` of them after `afterName`. */
  async listPrincipals(afterName: string, limit: number): Promise<PrincipalView[]> {
    if (!fitsAsciiColumn(afterName)) {
      return [];
    }
    const manager = this.dataSource.manager;
    const rows = await manager
      .createQueryBuilder(PrincipalEntity, 'p')
      .where('p.name > :after', { after: afterName })
      .orderBy('p.name', 'ASC')
      .limit(limit)
      .getMany();
    return Promise.all(rows.map((row) => this.view(manager, row)));
  }

  /** The principal named `name`, or `undefined`. */
  async findPrincipal(name: string): Promise<PrincipalView | undefined> {
    if (!fitsAsciiColumn(name)) {
      return undefined;
    }
    const row = await this.dataSource.manager.findOne(PrincipalEntity, { where: { name } });
    return row === null ? undefined : this.view(this.dataSource.manager, row);
  }

  /**
   * Creates a token for `principalName`; the secret is returned here only. Refused: an unknown
   * principal (NOT_FOUND), an expiry in the past or more than {@link MAX_TOKEN_LIFETIME_MS}
   * away (INVALID_ARGUMENT), a description too long.
   */
  async createToken(
    principalName: string,
    description: string,
    expiresAt: Date | null,
    caller: AuditedCaller,
  ): Promise<{ token: TokenView; secret: string }> {
    if (description.length > TOKEN_DESCRIPTION_LENGTH || !/^[\x20-\x7e]*$/.test(description)) {
      throw EditRefusal.field(
        'invalid-argument',
        'description',
        `use at most ${TOKEN_DESCRIPTION_LENGTH} printable ASCII characters`,
      );
    }
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      throw EditRefusal.field(
        'invalid-argument',
        'expiresUnixMs',
        `${expiresAt.toISOString()} is in the past; give a time in the future, or 0 for a token that does not expire`,
      );
    }
    if (expiresAt !== null && expiresAt.getTime() > Date.now() + MAX_TOKEN_LIFETIME_MS) {
      throw EditRefusal.field(
        'invalid-argument',
        'expiresUnixMs',
        `${expiresAt.toISOString()} is more than 10 years away; give milliseconds since the Unix epoch of an earlier time, or 0 for a token that does not expire`,
      );
    }
    return inTransaction(this.dataSource, async (manager) => {
      const principal = fitsAsciiColumn(principalName)
        ? await manager.findOne(PrincipalEntity, { where: { name: principalName } })
        : null;
      if (principal === null) {
        throw EditRefusal.field(
          'not-found',
          'principal',
          `no principal is named "${principalName}"; list them with vsnet principal list`,
          'principal.unknown',
        );
      }
      const createdAt = new Date();
      // The secret embeds the row's id, so the row is made first with a placeholder hash.
      const inserted = await manager.insert(TokenEntity, {
        principalId: principal.id,
        tokenHash: randomBytes(32),
        label: description,
        createdAt,
        expiresAt,
        revokedAt: null,
      });
      const id = Number((inserted.identifiers[0] as { id: number }).id);
      const { secret, hash } = newTokenSecret(id);
      await manager.update(TokenEntity, { id }, { tokenHash: hash });
      const token: TokenView = {
        id: String(id),
        principal: principalName,
        description,
        createdAt,
        expiresAt,
      };
      const expiry = expiresAt === null ? 'never expires' : `expires ${expiresAt.toISOString()}`;
      await audit(manager, caller, `token ${id}`, '', `token of ${principalName}, ${expiry}`);
      return { token, secret };
    });
  }

  /**
   * Revokes token `id`. `mayRevoke` says whether the caller may revoke a token of the given
   * principal; a token it may not revoke is reported as missing, so ids cannot be probed.
   */
  async revokeToken(
    id: string,
    mayRevoke: (principal: string) => boolean,
    caller: AuditedCaller,
  ): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      const token = /^[1-9][0-9]{0,9}$/.test(id)
        ? await manager.findOne(TokenEntity, { where: { id: Number(id) } })
        : null;
      const owner =
        token === null
          ? null
          : await manager.findOne(PrincipalEntity, { where: { id: token.principalId } });
      if (token === null || owner === null || !mayRevoke(owner.name) || token.revokedAt !== null) {
        throw EditRefusal.field(
          'not-found',
          'id',
          `no active token has id "${id}" that you may revoke`,
          'token.unknown',
        );
      }
      await manager.update(TokenEntity, { id: token.id }, { revokedAt: new Date() });
      await audit(manager, caller, `token ${id}`, `token of ${owner.name}`, 'revoked');
    });
  }

  private async view(manager: EntityManager, row: PrincipalEntity): Promise<PrincipalView> {
    const grants = await manager.find(PrincipalGrantEntity, { where: { principalId: row.id } });
    return { name: row.name, createdAt: row.createdAt, ...roleOf(grants) };
  }

  /** The stored names of `vsvrs` (matched without regard to case); refuses unknown ones. */
  private async resolveVsvrs(manager: EntityManager, vsvrs: readonly string[]): Promise<string[]> {
    if (vsvrs.length === 0) {
      return [];
    }
    const known = await manager.find(VsvrEntity, { select: { name: true } });
    const byLower = new Map(known.map((v) => [v.name.toLowerCase(), v.name]));
    const resolved = new Set<string>();
    vsvrs.forEach((name, index) => {
      const stored = byLower.get(name.toLowerCase());
      if (stored === undefined) {
        throw EditRefusal.field(
          'failed-precondition',
          `vsvrs[${index}]`,
          `no vsvr is named "${name}"; create it first or fix the name`,
          'vsvr.unknown',
        );
      }
      resolved.add(stored);
    });
    return [...resolved].sort();
  }
}

/**
 * Drops every vsvr NETWORK grant on a vsvr that a commit removes (in `before`, not in `after`;
 * names compared without regard to case, as access checks compare them), in the commit's
 * transaction, and writes one audit row per principal whose scope shrank (no generation: it
 * is not a change of the cluster). Without it a vsvr created later under the same name would
 * give the deleted one's principals NETWORK on it. A principal that loses its last vsvr keeps
 * only what every principal has: reads. (Refusing the deletion instead would leave the vsvr
 * undeletable: no RPC edits a principal's scope.)
 */
export async function dropGrantsOfRemovedVsvrs(
  manager: EntityManager,
  before: readonly string[],
  after: readonly string[],
  caller: AuditedCaller,
): Promise<void> {
  const kept = new Set(after.map((name) => name.toLowerCase()));
  const removed = new Set(
    before.map((name) => name.toLowerCase()).filter((name) => !kept.has(name)),
  );
  if (removed.size === 0) {
    return;
  }
  const grants = await manager.find(PrincipalGrantEntity, { where: { scopeKind: 'vsvr' } });
  const dropped = grants.filter((g) => removed.has(g.scopeName.toLowerCase()));
  if (dropped.length === 0) {
    return;
  }
  for (const grant of dropped) {
    await manager.delete(PrincipalGrantEntity, {
      principalId: grant.principalId,
      privilege: grant.privilege,
      scopeKind: grant.scopeKind,
      scopeName: grant.scopeName,
    });
  }
  const ids = [...new Set(dropped.map((g) => g.principalId))];
  const principals = await manager.find(PrincipalEntity, { where: { id: In(ids) } });
  for (const principal of principals.sort((a, b) => a.name.localeCompare(b.name))) {
    const own = grants.filter((g) => g.principalId === principal.id);
    const left = own.filter((g) => !removed.has(g.scopeName.toLowerCase()));
    const view = (scope: PrincipalGrantEntity[]): string =>
      describePrincipal({ name: principal.name, createdAt: principal.createdAt, ...roleOf(scope) });
    await audit(manager, caller, `principal ${principal.name}`, view(own), view(left));
  }
}

function driverCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' ? code : undefined;
}

function grantsOf(principalId: number, role: PrincipalRole, vsvrs: readonly string[]) {
  switch (role) {
    case 'cluster-network':
      return [{ principalId, privilege: 'network', scopeKind: 'cluster', scopeName: '' } as const];
    case 'read-only':
      return [{ principalId, privilege: 'read', scopeKind: 'cluster', scopeName: '' } as const];
    case 'vsvr-network':
      return vsvrs.map(
        (scopeName) =>
          ({ principalId, privilege: 'network', scopeKind: 'vsvr', scopeName }) as const,
      );
  }
}

function roleOf(grants: readonly PrincipalGrantEntity[]): {
  role: PrincipalRole;
  vsvrs: string[];
} {
  if (grants.some((g) => g.privilege === 'network' && g.scopeKind === 'cluster')) {
    return { role: 'cluster-network', vsvrs: [] };
  }
  const vsvrs = grants
    .filter((g) => g.privilege === 'network' && g.scopeKind === 'vsvr')
    .map((g) => g.scopeName)
    .sort();
  return vsvrs.length > 0 ? { role: 'vsvr-network', vsvrs } : { role: 'read-only', vsvrs: [] };
}

function describePrincipal(p: PrincipalView): string {
  return p.role === 'vsvr-network' ? `vsvr-network on ${p.vsvrs.join(', ')}` : p.role;
}

async function audit(
  manager: EntityManager,
  caller: AuditedCaller,
  target: string,
  before: string,
  after: string,
): Promise<void> {
  await manager.insert(AuditEntity, {
    at: new Date(),
    principal: caller.principal,
    rpc: caller.rpc,
    target,
    beforeSummary: before,
    afterSummary: after,
    peer: caller.peer,
    generation: null,
  });
}
