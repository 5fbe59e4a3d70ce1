import type { Metadata, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { EditRefusal } from '@vsnet/model';
import type { ChangeView, FilerStateView } from '@vsnet/store';
import { PipelineStore } from '@vsnet/store';
import { Observable } from 'rxjs';
import type { ChangeRecord } from '../../../../libs/contracts/src/generated/vsnet/v1/ChangeRecord.js';
import type { GetChangeRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetChangeRequest.js';
import type { GetChangeResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetChangeResponse.js';
import type { ListChangesRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListChangesRequest.js';
import type { ListChangesResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListChangesResponse.js';
import type { ListFilerStatusRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/ListFilerStatusRequest.js';
import type { ListFilerStatusResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/ListFilerStatusResponse.js';
import type { WatchChangeRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/WatchChangeRequest.js';
import type { WatchChangeResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/WatchChangeResponse.js';
import { READ } from '../auth/access.js';
import { ConfigApiService } from '../config-api/config-api.service.js';
import { ApiGate, rpcCall } from '../grpc/api-gate.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { keysetPage, pageKeyOf, pageSizeOf } from '../grpc/keyset-paging.js';
import { changeRecord, filerStatus } from './change-progress.js';
import { PipelineEvents } from './pipeline-events.js';

type Call = ServerUnaryCall<unknown, unknown>;

/** ListChanges' page tokens carry the generation of the last change shown. */
const CHANGE_LIST = 'changes';
const GENERATION = /^[1-9][0-9]{0,19}$/;
/** ListChanges' default page (the proto's: 0 means 20). */
const DEFAULT_CHANGES_PAGE = 20;
/** How often a WatchChange stream looks again when no local news wakes it. */
const WATCH_POLL_MS = 250;

/**
 * vsnet.v1.ChangeService: a change is an audit row with a generation; its state comes from
 * its targets (change_targets) and their filers' states (filer_state). Any principal reads.
 */
@Controller()
export class ChangeGrpcController {
  constructor(
    private readonly gate: ApiGate,
    private readonly store: PipelineStore,
    private readonly config: ConfigApiService,
    private readonly events: PipelineEvents,
  ) {}

  @GrpcMethod('ChangeService', 'ListChanges')
  listChanges(
    req: ListChangesRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<ListChangesResponse> {
    return this.gate.run(rpcCall('ChangeService', 'ListChanges', req, md, call), READ, async () => {
      const size = req.pageSize === 0 ? DEFAULT_CHANGES_PAGE : pageSizeOf(req.pageSize);
      const before = pageKeyOf(CHANGE_LIST, req.pageToken, (key) => GENERATION.test(key));
      const rows = await this.store.changes(size + 1, before);
      const page = keysetPage(CHANGE_LIST, rows, size, (c) => c.generation);
      return { changes: await this.records(page.items), nextPageToken: page.nextPageToken };
    });
  }

  @GrpcMethod('ChangeService', 'GetChange')
  getChange(req: GetChangeRequest__Output, md: Metadata, call: Call): Promise<GetChangeResponse> {
    return this.gate.run(rpcCall('ChangeService', 'GetChange', req, md, call), READ, async () => ({
      change: await this.record(req.generation),
    }));
  }

  @GrpcMethod('ChangeService', 'WatchChange')
  watchChange(
    req: WatchChangeRequest__Output,
    md: Metadata,
    call: ServerWritableStream<unknown, unknown>,
  ): Observable<WatchChangeResponse> {
    return new Observable<WatchChangeResponse>((subscriber) => {
      let ended = false;
      const end = (): void => {
        ended = true;
      };
      call.once('cancelled', end);
      const watch = async (): Promise<void> => {
        let record = await this.gate.run(
          rpcCall('ChangeService', 'WatchChange', req, md, call as unknown as UnaryCall),
          READ,
          () => this.record(req.generation),
        );
        let sent = '';
        while (!ended) {
          const text = JSON.stringify(record);
          if (text !== sent) {
            subscriber.next({ change: record });
            sent = text;
          }
          if (record.state !== 'CHANGE_STATE_PENDING') {
            break;
          }
          await this.events.next(WATCH_POLL_MS);
          record = await this.record(req.generation);
        }
        subscriber.complete();
      };
      watch().catch((err: unknown) => subscriber.error(err));
      return end;
    });
  }

  @GrpcMethod('ChangeService', 'ListFilerStatus')
  listFilerStatus(
    req: ListFilerStatusRequest__Output,
    md: Metadata,
    call: Call,
  ): Promise<ListFilerStatusResponse> {
    return this.gate.run(
      rpcCall('ChangeService', 'ListFilerStatus', req, md, call),
      READ,
      async () => {
        const [states, generation] = await Promise.all([
          this.store.filerStates(),
          this.config.generation(),
        ]);
        return { filers: states.map(filerStatus), generation };
      },
    );
  }

  /** The change that produced `generation`, with its filers' progress; NOT_FOUND if none did. */
  private async record(generation: string): Promise<ChangeRecord & { state: string }> {
    const change = GENERATION.test(generation) ? await this.store.change(generation) : undefined;
    if (change === undefined) {
      throw EditRefusal.field(
        'not-found',
        'generation',
        `no change produced generation ${generation}; vsnet changes lists the recent ones`,
        'change.not-found',
      );
    }
    const [record] = await this.records([change]);
    return record!;
  }

  private async records(
    changes: readonly ChangeView[],
  ): Promise<(ChangeRecord & { state: string })[]> {
    const filers = [...new Set(changes.flatMap((c) => c.targets))];
    const states = new Map<string, FilerStateView>(
      (await this.store.filerStatesOf(filers)).map((s) => [s.filer, s]),
    );
    return changes.map((c) => changeRecord(c, states));
  }
}
