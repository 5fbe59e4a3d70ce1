import type { PrincipalView } from '@vsnet/store';

/**
 * What an RPC needs of its caller (docs/api.md, authentication and roles):
 * - `read`: any authenticated principal;
 * - `cluster`: NETWORK at cluster scope;
 * - `vsvr`: NETWORK on that vsvr (cluster NETWORK covers every vsvr);
 * - `join-token`: no bearer token at all; the request carries a join token, which the handler
 *   authenticates itself (FilerService/JoinFiler: an agent that has no principal yet).
 */
export type Access =
  | { readonly kind: 'read' }
  | { readonly kind: 'cluster' }
  | { readonly kind: 'vsvr'; readonly vsvr: string }
  | { readonly kind: 'join-token' };

export const READ: Access = { kind: 'read' };
export const CLUSTER_NETWORK: Access = { kind: 'cluster' };
/**
 * JoinFiler's access: the ApiGate lets the call through without a bearer token, and the handler
 * must answer UNAUTHENTICATED itself unless the request's join token is valid.
 */
export const JOIN_TOKEN: Access = { kind: 'join-token' };

/**
 * The principal an RPC with {@link JOIN_TOKEN} access runs as until its handler authenticated
 * the join token. Its `role` only fills the type: {@link allows} refuses it every access,
 * READ included.
 */
export const JOIN_TOKEN_HOLDER: PrincipalView = {
  name: 'join-token',
  role: 'read-only',
  vsvrs: [],
  createdAt: new Date(0),
};

export function vsvrNetwork(vsvr: string): Access {
  return { kind: 'vsvr', vsvr };
}

/**
 * Whether `principal` may do what `access` asks. Vsvr names are matched without regard to case
 * (the model keeps vsvr names unique that way).
 */
export function allows(principal: PrincipalView, access: Access): boolean {
  // Its role is a placeholder: a join token holder is not a principal and may read nothing.
  if (principal === JOIN_TOKEN_HOLDER) {
    return false;
  }
  switch (access.kind) {
    case 'read':
      return true;
    case 'cluster':
      return principal.role === 'cluster-network';
    case 'vsvr': {
      if (principal.role === 'cluster-network') {
        return true;
      }
      const wanted = access.vsvr.toLowerCase();
      return (
        principal.role === 'vsvr-network' && principal.vsvrs.some((v) => v.toLowerCase() === wanted)
      );
    }
    case 'join-token':
      // A bearer principal is never what a join-token RPC asks for; the gate does not ask.
      return false;
  }
}

/** The sentence of a PERMISSION_DENIED answer: who, what was needed, how to get it. */
export function deniedMessage(principal: PrincipalView, access: Access, rpc: string): string {
  const has =
    principal.role === 'vsvr-network'
      ? `NETWORK on ${principal.vsvrs.join(', ')} only`
      : principal.role === 'read-only'
        ? 'read-only access'
        : 'cluster NETWORK';
  const needs =
    access.kind === 'vsvr'
      ? `NETWORK on vsvr "${access.vsvr}"`
      : access.kind === 'join-token'
        ? 'a join token in the request'
        : 'the cluster NETWORK privilege';
  return `${rpc} needs ${needs}; principal "${principal.name}" has ${has}: ask an administrator with cluster NETWORK`;
}
