import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { DhcpExportOptions, DhcpFormat, ExportRequest } from '@vsnet/dhcp';
import { buildDhcpPlan, DhcpExportError, exportDhcp, SnippetMergeError } from '@vsnet/dhcp';
import { EditRefusal, parseIp } from '@vsnet/model';
import type { DhcpFormat__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/DhcpFormat.js';
import type { ExportDhcpRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ExportDhcpRequest.js';
import type { ExportDhcpResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ExportDhcpResponse.js';
import { READ } from '../auth/access.js';
import type { ClusterView } from '../cluster/cluster-reader.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { rpcCall } from '../grpc/api-gate.js';
import { ClusterGate } from '../grpc/cluster-gate.js';

const SERVICE = 'DhcpService';

/** The wire's formats and the exporter's names for them (`vsnet dhcp export --format`). */
const FORMATS: Readonly<
  Record<Exclude<DhcpFormat__Output, 'DHCP_FORMAT_UNSPECIFIED'>, DhcpFormat>
> = {
  DHCP_FORMAT_KEA4: 'kea4',
  DHCP_FORMAT_KEA6: 'kea6',
  DHCP_FORMAT_DHCPD: 'dhcpd',
  DHCP_FORMAT_DHCPD6: 'dhcpd6',
  DHCP_FORMAT_DHCLIENT: 'dhclient',
  DHCP_FORMAT_WORKSHEET_CSV: 'worksheet-csv',
  DHCP_FORMAT_WORKSHEET: 'worksheet',
};

/**
 * vsnet.v1.DhcpService: the exports of `vsnet dhcp export`, of the stored cluster's snapshot.
 * Request fields are checked here so a refusal names the field; what only the exporter can
 * see (an identifier two addresses share, a file without the place for vsnet's block) is
 * mapped from its errors.
 */
@Controller()
export class DhcpGrpcController {
  constructor(private readonly cluster: ClusterGate) {}

  @GrpcMethod(SERVICE, 'ExportDhcp')
  exportDhcp(
    req: ExportDhcpRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ExportDhcpResponse> {
    const rpc = rpcCall(SERVICE, 'ExportDhcp', req, md, call);
    return this.cluster.read(rpc, READ, (view) => ({
      text: exportOf(view, req),
      generation: view.stored.generation,
    }));
  }
}

function exportOf(view: ClusterView, req: ExportDhcpRequest__Output): string {
  const format = formatOf(req.format);
  const request = exportRequest(view, req, format);
  let plan;
  try {
    plan = buildDhcpPlan(view.stored.cluster, view.analysis, {
      dnsServers: dnsServers(req.dnsServers),
      ...(req.domain !== undefined ? { domain: req.domain } : {}),
      ...serverOptions(req),
    });
  } catch (err) {
    throw exportRefusal(err);
  }
  try {
    return exportDhcp(plan, request);
  } catch (err) {
    if (err instanceof SnippetMergeError) {
      throw EditRefusal.field('invalid-argument', 'mergeInto.text', err.message, 'dhcp.merge');
    }
    throw exportRefusal(err);
  }
}

function formatOf(format: DhcpFormat__Output | number): DhcpFormat {
  const known = typeof format === 'string' && format !== 'DHCP_FORMAT_UNSPECIFIED';
  const chosen = known ? FORMATS[format] : undefined;
  if (chosen === undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'format',
      `is required: one of ${Object.keys(FORMATS).join(', ')}`,
    );
  }
  return chosen;
}

/** The request as the exporter takes it; the combinations it refuses are refused here by field. */
function exportRequest(
  view: ClusterView,
  req: ExportDhcpRequest__Output,
  format: DhcpFormat,
): ExportRequest {
  const worksheet = format === 'worksheet' || format === 'worksheet-csv';
  const merge = req.mergeInto ?? undefined;
  if (worksheet && (req.snippet || merge !== undefined)) {
    throw EditRefusal.field(
      'invalid-argument',
      req.snippet ? 'snippet' : 'mergeInto',
      'a worksheet is a document of its own; snippet and mergeInto apply to the server and client formats',
    );
  }
  let filer: string | undefined;
  if (format === 'dhclient') {
    const known = view.stored.cluster.filers.map((f) => f.name);
    if (req.filer === undefined || req.filer === '') {
      throw EditRefusal.field(
        'invalid-argument',
        'filer',
        `is required for DHCP_FORMAT_DHCLIENT: one of ${known.join(', ') || '(no filers)'}`,
      );
    }
    const wanted = req.filer.toLowerCase();
    filer = known.find((name) => name.toLowerCase() === wanted);
    if (filer === undefined) {
      throw EditRefusal.field(
        'not-found',
        'filer',
        `the cluster has no filer ${req.filer}; use one of ${known.join(', ') || '(no filers)'}`,
        'request.not-found',
      );
    }
  } else if (req.filer !== undefined) {
    throw EditRefusal.field(
      'invalid-argument',
      'filer',
      'applies to DHCP_FORMAT_DHCLIENT only; leave it out',
    );
  }
  return {
    format,
    ...(filer !== undefined ? { filer } : {}),
    ...(req.snippet ? { snippet: true } : {}),
    ...(merge !== undefined
      ? { mergeInto: { name: merge.name || 'mergeInto', text: merge.text } }
      : {}),
  };
}

function dnsServers(servers: readonly string[]): string[] {
  servers.forEach((s, i) => {
    if (!parseIp(s).ok) {
      throw EditRefusal.field(
        'invalid-argument',
        `dnsServers[${i}]`,
        `"${s}" is not an IP address; pass addresses like 192.0.2.53 or 2001:db8::53`,
      );
    }
  });
  return [...servers];
}

/** The server options of the request, as the exporter takes them; it checks their values. */
function serverOptions(req: ExportDhcpRequest__Output): DhcpExportOptions {
  const db = req.leaseDatabase ?? undefined;
  return {
    interfaces: req.interfaces.map((i) => ({ name: i.name, subnets: i.subnets })),
    firstBootPools: req.firstBootPools.map((p) => ({ subnet: p.subnet, range: p.range })),
    ...(db !== undefined
      ? { leaseDatabase: { persist: db.persist, ...(db.name !== '' ? { name: db.name } : {}) } }
      : {}),
  };
}

/**
 * What the exporter refuses: an option's value names its request field; anything else is
 * about the cluster itself.
 */
function exportRefusal(err: unknown): unknown {
  if (!(err instanceof DhcpExportError)) {
    return err;
  }
  if (err.field !== undefined) {
    return EditRefusal.field('invalid-argument', err.field, err.message);
  }
  return new EditRefusal(
    'failed-precondition',
    `the cluster cannot be written as DHCP configuration: ${err.message}`,
    [{ field: 'cluster', description: err.message }],
    'dhcp.export',
  );
}
