import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { EditRefusal } from '@vsnet/model';
import type { PrincipalRole, PrincipalView, TokenView } from '@vsnet/store';
import { AuthStore, PRINCIPAL_NAME_PATTERN } from '@vsnet/store';
import type { CreatePrincipalRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreatePrincipalRequest.js';
import type { CreatePrincipalResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreatePrincipalResponse.js';
import type { CreateTokenRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateTokenRequest.js';
import type { CreateTokenResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/CreateTokenResponse.js';
import type { ListPrincipalsRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListPrincipalsRequest.js';
import type { ListPrincipalsResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListPrincipalsResponse.js';
import type { Principal } from '../../../../libs/contracts/src/generated/vsnet/v1/Principal.js';
import type { RevokeTokenRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/RevokeTokenRequest.js';
import type { RevokeTokenResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/RevokeTokenResponse.js';
import type { Role__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/Role.js';
import type { Token } from '../../../../libs/contracts/src/generated/vsnet/v1/Token.js';
import type { WhoAmIRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/WhoAmIRequest.js';
import type { WhoAmIResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/WhoAmIResponse.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { ApiGate, audited, rpcCall } from '../grpc/api-gate.js';
import { keysetPage, pageKeyOf, pageSizeOf } from '../grpc/keyset-paging.js';
import { CLUSTER_NETWORK, READ } from './access.js';

const ROLE_TO_WIRE: Readonly<Record<PrincipalRole, Role__Output>> = {
  'cluster-network': 'ROLE_CLUSTER_NETWORK',
  'vsvr-network': 'ROLE_VSVR_NETWORK',
  'read-only': 'ROLE_READ_ONLY',
};

/** The page tokens of ListPrincipals carry the last name shown. */
const PRINCIPAL_LIST = 'principals';

/**
 * vsnet.v1.AuthService on the {@link AuthStore}: principals, their roles and bearer tokens.
 * Every change writes its audit row through the store; none changes the cluster generation, so
 * answers report the current one.
 */
@Controller()
export class AuthGrpcController {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: AuthStore,
  ) {}

  @GrpcMethod('AuthService', 'CreatePrincipal')
  createPrincipal(
    req: CreatePrincipalRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreatePrincipalResponse> {
    const rpc = rpcCall('AuthService', 'CreatePrincipal', req, md, call);
    return this.gate.run(rpc, CLUSTER_NETWORK, async (caller) => {
      const principal = await this.store.createPrincipal(
        req.name,
        roleFromWire(req.role),
        req.vsvrs,
        audited(caller),
      );
      return {
        principal: principalToWire(principal),
        generation: await this.store.clusterGeneration(),
      };
    });
  }

  @GrpcMethod('AuthService', 'ListPrincipals')
  listPrincipals(
    req: ListPrincipalsRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListPrincipalsResponse> {
    const rpc = rpcCall('AuthService', 'ListPrincipals', req, md, call);
    return this.gate.run(rpc, CLUSTER_NETWORK, async () => {
      const size = pageSizeOf(req.pageSize);
      const after = pageKeyOf(PRINCIPAL_LIST, req.pageToken, (key) =>
        PRINCIPAL_NAME_PATTERN.test(key),
      );
      // One more than the page: whether it exists says whether there is a next page.
      const rows = await this.store.listPrincipals(after ?? '', size + 1);
      const page = keysetPage(PRINCIPAL_LIST, rows, size, (p) => p.name);
      return { principals: page.items.map(principalToWire), nextPageToken: page.nextPageToken };
    });
  }

  @GrpcMethod('AuthService', 'CreateToken')
  createToken(
    req: CreateTokenRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<CreateTokenResponse> {
    const rpc = rpcCall('AuthService', 'CreateToken', req, md, call);
    return this.gate.run(rpc, CLUSTER_NETWORK, async (caller) => {
      const { token, secret } = await this.store.createToken(
        req.principal,
        req.description,
        expiryFromWire(req.expiresUnixMs),
        audited(caller),
      );
      return {
        token: tokenToWire(token),
        secret,
        generation: await this.store.clusterGeneration(),
      };
    });
  }

  @GrpcMethod('AuthService', 'RevokeToken')
  revokeToken(
    req: RevokeTokenRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<RevokeTokenResponse> {
    // Any principal may revoke its own tokens, so the gate only authenticates; the store
    // decides per token, and answers NOT_FOUND for one the caller may not revoke.
    const rpc = rpcCall('AuthService', 'RevokeToken', req, md, call);
    return this.gate.run(rpc, READ, async (caller) => {
      const mayRevoke = (owner: string): boolean =>
        caller.principal.role === 'cluster-network' || owner === caller.principal.name;
      await this.store.revokeToken(req.id, mayRevoke, audited(caller));
      return { generation: await this.store.clusterGeneration() };
    });
  }

  @GrpcMethod('AuthService', 'WhoAmI')
  whoAmI(req: WhoAmIRequest__Output, md: Metadata, call: UnaryCall): Promise<WhoAmIResponse> {
    const rpc = rpcCall('AuthService', 'WhoAmI', req, md, call);
    return this.gate.run(rpc, READ, (caller) =>
      Promise.resolve({ principal: principalToWire(caller.principal), tokenId: caller.tokenId }),
    );
  }
}

function roleFromWire(role: Role__Output): PrincipalRole {
  switch (role) {
    case 'ROLE_CLUSTER_NETWORK':
      return 'cluster-network';
    case 'ROLE_VSVR_NETWORK':
      return 'vsvr-network';
    case 'ROLE_READ_ONLY':
      return 'read-only';
    case 'ROLE_UNSPECIFIED':
    default:
      // `default`: a number the proto does not name arrives as itself.
      throw EditRefusal.field(
        'invalid-argument',
        'role',
        'is unspecified; choose ROLE_CLUSTER_NETWORK, ROLE_VSVR_NETWORK or ROLE_READ_ONLY',
      );
  }
}

/** `0`: never expires. A time beyond what a Date holds is refused here, one too far ahead by the store. */
function expiryFromWire(expiresUnixMs: string): Date | null {
  if (expiresUnixMs === '0' || expiresUnixMs === '') {
    return null;
  }
  const expiry = new Date(Number(expiresUnixMs));
  if (Number.isNaN(expiry.getTime())) {
    throw EditRefusal.field(
      'invalid-argument',
      'expiresUnixMs',
      `${expiresUnixMs} is not a time a token can expire at; give milliseconds since the Unix epoch, or 0 for no expiry`,
    );
  }
  return expiry;
}

function principalToWire(principal: PrincipalView): Principal {
  return {
    name: principal.name,
    role: ROLE_TO_WIRE[principal.role],
    vsvrs: [...principal.vsvrs],
    createdUnixMs: String(principal.createdAt.getTime()),
  };
}

function tokenToWire(token: TokenView): Token {
  return {
    id: token.id,
    principal: token.principal,
    description: token.description,
    createdUnixMs: String(token.createdAt.getTime()),
    expiresUnixMs: token.expiresAt === null ? '0' : String(token.expiresAt.getTime()),
  };
}
