import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import type { ClusterDocument } from '@vsnet/model';
import { decodeClusterDocument, encodeClusterDocument } from '@vsnet/model';
import { parse } from 'yaml';
import { clusterDocumentFromWire, clusterDocumentToWire } from './cluster-api-document.js';
import {
  CLUSTER_API_MUTATIONS,
  CLUSTER_API_SERVICES,
  type ClusterApiServiceName,
  clusterApiGrpc,
  clusterApiMethodPath,
  clusterApiServiceName,
  errorModelGrpc,
  loadClusterApiPackageDefinition,
} from './cluster-api.js';
import { protoRoot } from './proto-files.js';

const definition = loadClusterApiPackageDefinition();
const api = clusterApiGrpc(definition);
const errors = errorModelGrpc(definition);

/** The RPCs the issue and docs/api.md promise, by service (more may be added within v1). */
const PROMISED: Record<ClusterApiServiceName, readonly string[]> = {
  ClusterService: ['InitCluster', 'GetCluster', 'ChangeClusterMac'],
  FilerService: ['RegisterFiler', 'ListFilers', 'GetFiler', 'CreateJoinToken', 'JoinFiler'],
  InterfaceService: [
    'CreateBond',
    'CreateFailoverInterface',
    'CreateVlan',
    'CreateAlias',
    'DeleteInterface',
    'ListInterfaces',
  ],
  VsvrService: [
    'CreateVsvr',
    'DeleteVsvr',
    'SetFailoverGroup',
    'AddAddress',
    'RemoveAddress',
    'ListVsvrs',
    'GetVsvr',
  ],
  RoutingService: [
    'CreateRoutingPolicy',
    'GetRoutingPolicy',
    'ListRoutingPolicies',
    'UpdateRoutingPolicy',
    'DeleteRoutingPolicy',
    'AddVsvrRoute',
    'RemoveVsvrRoute',
  ],
  SiteService: ['CreateSite', 'GetSite', 'ListSites', 'UpdateSite', 'DeleteSite'],
  ConfigService: ['Apply', 'Export'],
  AuditService: ['ListAudit'],
  AuthService: ['CreatePrincipal', 'CreateToken', 'RevokeToken', 'WhoAmI'],
  ChangeService: ['ListChanges', 'GetChange', 'WatchChange', 'ListFilerStatus'],
  DhcpService: ['ExportDhcp'],
  FailoverService: ['GetFailoverStatus', 'MoveVsvr'],
};

type AnyMethod = MethodDefinition<object, object, object, object>;

function service(name: ClusterApiServiceName): ServiceDefinition {
  const found = definition[clusterApiServiceName(name)];
  if (!found || 'format' in found) {
    throw new Error(`${clusterApiServiceName(name)} is not a service of the package definition`);
  }
  return found;
}

function method(svc: ClusterApiServiceName, rpc: string): AnyMethod {
  const found = service(svc)[rpc];
  if (!found) {
    throw new Error(`${clusterApiServiceName(svc)} has no RPC ${rpc}`);
  }
  return found;
}

/** A message type's field names as the descriptor spells them (snake_case, as in the proto). */
function fieldNames(type: unknown): string[] {
  return ((type as { field?: { name: string }[] }).field ?? []).map((f) => f.name);
}

const ALL_RPCS = Object.entries(CLUSTER_API_SERVICES).flatMap(([svc, rpcs]) =>
  rpcs.map((rpc) => [svc as ClusterApiServiceName, rpc] as const),
);

function labDocument(): ClusterDocument {
  const file = join(dirname(protoRoot()), 'deploy/examples/lab-cluster.yaml');
  return parse(readFileSync(file, 'utf8')) as ClusterDocument;
}

describe('vsnet.v1 cluster API contract', () => {
  it('offers exactly the services of CLUSTER_API_SERVICES in package vsnet.v1', () => {
    const inPackage = Object.keys(definition)
      .filter((k) => k.startsWith('vsnet.v1.') && !('format' in (definition[k] ?? {})))
      .sort();
    expect(inPackage).toEqual(
      Object.keys(CLUSTER_API_SERVICES)
        .map((s) => clusterApiServiceName(s as ClusterApiServiceName))
        .sort(),
    );
  });

  it.each(Object.entries(PROMISED))('%s offers every promised RPC', (svc, rpcs) => {
    const offered = Object.keys(service(svc as ClusterApiServiceName));
    expect(offered).toEqual(expect.arrayContaining([...rpcs]));
    expect(offered.sort()).toEqual([...CLUSTER_API_SERVICES[svc as ClusterApiServiceName]].sort());
  });

  /** The one server-streaming RPC: a change's progress until it settles. */
  const STREAMING = new Set(['ChangeService.WatchChange']);

  it.each(ALL_RPCS)(
    '%s.%s is unary (or, for a watch, server-streaming), at its path, with <Rpc>Request and <Rpc>Response',
    (svc, rpc) => {
      const m = method(svc, rpc);
      expect(m.path).toBe(clusterApiMethodPath(svc, rpc));
      expect(m.requestStream).toBe(false);
      expect(m.responseStream).toBe(STREAMING.has(`${svc}.${rpc}`));
      expect((m.requestType.type as { name: string }).name).toBe(`${rpc}Request`);
      expect((m.responseType.type as { name: string }).name).toBe(`${rpc}Response`);
    },
  );

  it.each(
    ALL_RPCS.filter(([svc, rpc]) => CLUSTER_API_MUTATIONS.has(clusterApiMethodPath(svc, rpc))),
  )('mutation %s.%s answers with the resulting generation', (svc, rpc) => {
    expect(fieldNames(method(svc, rpc).responseType.type)).toContain('generation');
  });

  it('counts Get*, List*, Export and WhoAmI as reads and everything else as a mutation', () => {
    expect(CLUSTER_API_MUTATIONS.has('/vsnet.v1.VsvrService/AddAddress')).toBe(true);
    expect(CLUSTER_API_MUTATIONS.has('/vsnet.v1.ConfigService/Apply')).toBe(true);
    expect(CLUSTER_API_MUTATIONS.has('/vsnet.v1.ConfigService/Export')).toBe(false);
    expect(CLUSTER_API_MUTATIONS.has('/vsnet.v1.DhcpService/ExportDhcp')).toBe(false);
    expect(CLUSTER_API_MUTATIONS.has('/vsnet.v1.AuthService/WhoAmI')).toBe(false);
    expect(CLUSTER_API_MUTATIONS.has('/vsnet.v1.AuditService/ListAudit')).toBe(false);
  });

  it.each([
    ['InterfaceService', 'CreateBond'],
    ['InterfaceService', 'CreateFailoverInterface'],
    ['InterfaceService', 'CreateAlias'],
    ['VsvrService', 'AddAddress'],
  ] as const)('%s.%s takes an explicit or next-free instance (oneof instance)', (svc, rpc) => {
    const m = method(svc, rpc);
    const explicit = m.requestDeserialize(m.requestSerialize({ number: 3 }));
    expect(explicit).toMatchObject({ instance: 'number', number: 3 });
    const nextFree = m.requestDeserialize(m.requestSerialize({ nextFree: true }));
    expect(nextFree).toMatchObject({ instance: 'nextFree', nextFree: true });
    expect(nextFree).not.toHaveProperty('number');
    const neither = m.requestDeserialize(m.requestSerialize({}));
    expect(neither).not.toHaveProperty('instance');
  });

  it('types the generated client constructors of every service', () => {
    for (const svc of Object.keys(CLUSTER_API_SERVICES) as ClusterApiServiceName[]) {
      expect(typeof api[svc]).toBe('function');
      expect(api[svc].service).toBe(service(svc));
    }
  });

  it('carries refusals as google.rpc.Status with BadRequest field violations at document paths', () => {
    const badRequest = errors.BadRequest.serialize({
      fieldViolations: [
        { field: 'vsvrs[2].addresses[0].address', description: 'already used by vsvr sales' },
      ],
    });
    const status = errors.Status.deserialize(
      errors.Status.serialize({
        code: 6,
        message: 'the address is already in use',
        details: [{ type_url: 'type.googleapis.com/google.rpc.BadRequest', value: badRequest }],
      }),
    );
    expect(status.code).toBe(6);
    const detail = status.details[0];
    expect(detail?.type_url).toBe('type.googleapis.com/google.rpc.BadRequest');
    expect(errors.BadRequest.deserialize(Buffer.from(detail?.value ?? [])).fieldViolations).toEqual(
      [
        expect.objectContaining({
          field: 'vsvrs[2].addresses[0].address',
          description: 'already used by vsvr sales',
        }),
      ],
    );
  });
});

describe('ClusterDocument ⇄ vsnet.v1.ClusterDocument', () => {
  const apply = method('ConfigService', 'Apply');
  const exported = method('ConfigService', 'Export');

  function overApply(doc: ClusterDocument): ClusterDocument {
    const bytes = apply.requestSerialize({ document: clusterDocumentToWire(doc), dryRun: true });
    const received = (apply.requestDeserialize(bytes) as { document: unknown }).document;
    return clusterDocumentFromWire(received as Parameters<typeof clusterDocumentFromWire>[0]);
  }

  it('reads the lab example as a valid cluster', () => {
    const errorsFound = decodeClusterDocument(labDocument()).problems.filter(
      (p) => p.severity === 'error',
    );
    expect(errorsFound).toEqual([]);
  });

  it('round-trips deploy/examples/lab-cluster.yaml through ApplyRequest bytes unchanged', () => {
    const doc = labDocument();
    expect(overApply(doc)).toStrictEqual(doc);
  });

  it('round-trips an exported cluster through ExportResponse bytes unchanged', () => {
    const encoded = encodeClusterDocument(decodeClusterDocument(labDocument()).cluster);
    const bytes = exported.responseSerialize({
      document: clusterDocumentToWire(encoded),
      generation: '42',
    });
    const received = exported.responseDeserialize(bytes) as {
      document: Parameters<typeof clusterDocumentFromWire>[0];
      generation: string;
    };
    expect(received.generation).toBe('42');
    expect(clusterDocumentFromWire(received.document)).toStrictEqual(encoded);
  });

  it('keeps "no failover group" apart from an empty one, and absent optionals absent', () => {
    const doc: ClusterDocument = {
      apiVersion: 'vsnet/v1',
      kind: 'Cluster',
      cluster: { mac: '00:00:5e:00:53:01' },
      filers: [{ name: 'f1', interfaces: [{ name: 'eth0' }] }],
      vsvrs: [
        { name: 'anywhere', addresses: [] },
        { name: 'nowhere', failoverGroup: [], addresses: [] },
      ],
    };
    expect(overApply(doc)).toStrictEqual(doc);
  });

  it('carries a vsvr failback policy, a hold-down of 0 included', () => {
    const doc: ClusterDocument = {
      apiVersion: 'vsnet/v1',
      kind: 'Cluster',
      cluster: { mac: '00:00:5e:00:53:01' },
      filers: [{ name: 'f1', interfaces: [{ name: 'eth0' }] }],
      vsvrs: [
        { name: 'back', addresses: [], failback: 'auto', failbackHoldDown: 0 },
        { name: 'stays', addresses: [] },
      ],
    };
    expect(overApply(doc)).toStrictEqual(doc);
  });

  it('passes values the model must refuse through unchanged, so it reports them at their path', () => {
    const doc = labDocument();
    const bent = { ...doc, apiVersion: 'vsnet/v2' } as unknown as ClusterDocument;
    const vsvr = bent.vsvrs?.[1];
    const address = vsvr?.addresses?.[0];
    if (!address) {
      throw new Error('the lab example lost its second vsvr');
    }
    address.mode = 'bootp' as 'dhcp';
    const received = overApply(bent);
    expect(received).toStrictEqual(bent);
    const paths = decodeClusterDocument(received).problems.map((p) => p.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['apiVersion', 'vsvrs.1.addresses.0.mode']));
  });
});
