import { status } from '@grpc/grpc-js';
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
import { DatabaseProbe } from '../database/database.probe.js';
import { ApiGate, rpcCall } from '../grpc/api-gate.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { plainStatus } from '../grpc/grpc-status.js';
import { keysetPage, pageKeyOf, pageSizeOf } from '../grpc/keyset-paging.js';
import { changeRecord, filerStatus } from './change-progress.js';
import { PipelineEvents } from './pipeline-events.js';
import { SharedPolls } from './shared-poll.js';

type Call = ServerUnaryCall<unknown, unknown>;

/** ListChanges' page tokens carry the generation of the last change shown. */
const CHANGE_LIST = 'changes';
const GENERATION = /^[1-9][0-9]{0,19}$/;
/** ListChanges' default page (the proto's: 0 means 20). */
const DEFAULT_CHANGES_PAGE = 20;
/** How often a WatchChange stream looks again when no local news wakes it. */
const WATCH_POLL_MS = 250;
/**
 * WatchChange streams one principal may have open at once on one instance: enough for
 * `--wait` on several changes at a time, few enough that a runaway client cannot make this
 * instance poll the database without bound.
 */
export const MAX_WATCHES_PER_PRINCIPAL = 16;

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
    private readonly database: DatabaseProbe,
  ) {}

  /** Open WatchChange streams by principal, on this instance. */
  private readonly watches = new Map<string, number>();

  /** One poll per watched generation, however many streams watch it. */
  private readonly polls = new SharedPolls<ChangeRecord & { state: string }>(
    (generation) => this.recordReader(generation),
    {
      mark: () => this.events.mark(),
      next: (since) => this.events.next(WATCH_POLL_MS, since),
    },
    (record) => record.state !== 'CHANGE_STATE_PENDING',
  );

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
      let end!: () => void;
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      call.once('cancelled', end);
      // The whole stream runs in the gate, so a failure mid-watch is mapped and counted like
      // any other answer.
      this.gate
        .run(
          rpcCall('ChangeService', 'WatchChange', req, md, call as unknown as UnaryCall),
          READ,
          async (caller) => {
            const release = this.takeWatch(caller.principal.name);
            try {
              await this.polls
                .follow(req.generation, (change) => subscriber.next({ change }), ended)
                .catch((error: unknown) => this.databaseLost(error));
            } finally {
              release();
            }
          },
        )
        .then(
          () => subscriber.complete(),
          (error: unknown) => subscriber.error(error),
        );
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

  /**
   * Counts one more WatchChange stream of `principal`; RESOURCE_EXHAUSTED beyond
   * {@link MAX_WATCHES_PER_PRINCIPAL}. Returns the function that counts it off.
   */
  private takeWatch(principal: string): () => void {
    const open = this.watches.get(principal) ?? 0;
    if (open >= MAX_WATCHES_PER_PRINCIPAL) {
      throw plainStatus(
        status.RESOURCE_EXHAUSTED,
        `principal "${principal}" already has ${open} WatchChange streams open on this control instance, the most it may; end one (or watch fewer changes at once) and watch again`,
      );
    }
    this.watches.set(principal, open + 1);
    let released = false;
    return () => {
      if (!released) {
        released = true;
        const left = (this.watches.get(principal) ?? 1) - 1;
        if (left === 0) {
          this.watches.delete(principal);
        } else {
          this.watches.set(principal, left);
        }
      }
    };
  }

  /**
   * A failed read while watching: UNAVAILABLE when the database cannot be reached (the
   * client may watch again), otherwise the error itself (the gate maps it).
   */
  private async databaseLost(error: unknown): Promise<never> {
    if (error instanceof EditRefusal) {
      throw error;
    }
    const reachable = await this.database.check().then(
      () => true,
      () => false,
    );
    throw reachable
      ? error
      : plainStatus(
          status.UNAVAILABLE,
          'the database became unreachable while watching the change; watch it again shortly',
        );
  }

  /** The change that produced `generation`, with its filers' progress; NOT_FOUND if none did. */
  private record(generation: string): Promise<ChangeRecord & { state: string }> {
    return this.recordReader(generation)();
  }

  /**
   * Reads the change that produced `generation` with its filers' progress, each time it is
   * called (NOT_FOUND if no change did). A committed change and its targets never change, so
   * after the first read only the filers' states are read again: a watch wakes to one query.
   */
  private recordReader(generation: string): () => Promise<ChangeRecord & { state: string }> {
    let change: ChangeView | undefined;
    return async () => {
      change ??= GENERATION.test(generation) ? await this.store.change(generation) : undefined;
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
    };
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
