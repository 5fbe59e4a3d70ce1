import type { Metadata } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { EditRefusal } from '@vsnet/model';
import type { AuditRecord } from '@vsnet/store';
import { AuditStore } from '@vsnet/store';
import type { AuditEntry } from '../../../../libs/contracts/src/generated/vsnet/v1/AuditEntry.js';
import type { ListAuditRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListAuditRequest.js';
import type { ListAuditResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListAuditResponse.js';
import { READ } from '../auth/access.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { ApiGate, rpcCall } from '../grpc/api-gate.js';
import { keysetPage, pageKeyOf, pageSizeOf } from '../grpc/keyset-paging.js';

/** The page tokens of ListAudit carry the id of the last entry shown. */
const AUDIT_LIST = 'audit';
const AUDIT_ID = /^[1-9][0-9]{0,19}$/;

/** vsnet.v1.AuditService: the audit trail, newest first, filtered and paged in the database. */
@Controller()
export class AuditGrpcController {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: AuditStore,
  ) {}

  @GrpcMethod('AuditService', 'ListAudit')
  listAudit(
    req: ListAuditRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<ListAuditResponse> {
    const rpc = rpcCall('AuditService', 'ListAudit', req, md, call);
    return this.gate.run(rpc, READ, async () => {
      const size = pageSizeOf(req.pageSize);
      const beforeId = pageKeyOf(AUDIT_LIST, req.pageToken, (key) => AUDIT_ID.test(key));
      const filter = req.filter;
      const since = timeOf('filter.sinceUnixMs', filter?.sinceUnixMs);
      const until = timeOf('filter.untilUnixMs', filter?.untilUnixMs);
      if (since !== undefined && until !== undefined && until.getTime() < since.getTime()) {
        throw EditRefusal.field(
          'invalid-argument',
          'filter.untilUnixMs',
          `is before filter.sinceUnixMs; give a range whose end is not before its start`,
        );
      }
      // One more than the page: whether it exists says whether there is a next page.
      const rows = await this.store.list({
        principal: filter?.principal ?? '',
        rpc: filter?.rpc ?? '',
        target: filter?.target ?? '',
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(beforeId !== undefined ? { beforeId } : {}),
        limit: size + 1,
      });
      const page = keysetPage(AUDIT_LIST, rows, size, (entry) => entry.id);
      return { entries: page.items.map(entryToWire), nextPageToken: page.nextPageToken };
    });
  }
}

/** A time bound of the filter; absent stays absent. */
function timeOf(field: string, unixMs: string | undefined): Date | undefined {
  if (unixMs === undefined) {
    return undefined;
  }
  const time = new Date(Number(unixMs));
  if (Number.isNaN(time.getTime())) {
    throw EditRefusal.field(
      'invalid-argument',
      field,
      `${unixMs} is beyond the times a date can hold; give milliseconds since the Unix epoch`,
    );
  }
  return time;
}

function entryToWire(record: AuditRecord): AuditEntry {
  return {
    id: record.id,
    timeUnixMs: String(record.at.getTime()),
    principal: record.principal,
    rpc: record.rpc,
    target: record.target,
    before: record.before,
    after: record.after,
    peer: record.peer,
    generation: record.generation ?? '0',
  };
}
