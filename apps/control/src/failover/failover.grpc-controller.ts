import { status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { GetFailoverStatusRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/GetFailoverStatusRequest.js';
import type { GetFailoverStatusResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/GetFailoverStatusResponse.js';
import type { MoveVsvrRequest__Output } from '../../../../libs/contracts/src/generated/vsnet/v1/MoveVsvrRequest.js';
import type { MoveVsvrResponse } from '../../../../libs/contracts/src/generated/vsnet/v1/MoveVsvrResponse.js';
import { READ, vsvrNetwork } from '../auth/access.js';
import { CONTROL_CONFIG } from '../config/config.module.js';
import type { ControlConfig } from '../config/control-config.js';
import { ApiGate, audited, rpcCall } from '../grpc/api-gate.js';
import type { UnaryCall } from '../grpc/api-gate.js';
import { plainStatus, requestRefusal } from '../grpc/grpc-status.js';
import { FailoverStatusService } from './failover-status.service.js';
import {
  failoverToWire,
  filerHealthToWire,
  heartbeatSettingsToWire,
  placementToWire,
} from './failover-wire.js';
import { LeaderForwarder } from './leader-forward.js';
import { MoveAborted, NotLeader, VsvrMover } from './vsvr-mover.js';

const SERVICE = 'FailoverService';
/** GetFailoverStatus' `recent`: 0 means this many; at most {@link MAX_RECENT}. */
const DEFAULT_RECENT = 10;
const MAX_RECENT = 100;

/**
 * vsnet.v1.FailoverService: the failover status any principal may read (the leader's live view
 * of the filers when this instance leads, what the leader last wrote otherwise), and MoveVsvr,
 * which the leader runs and any other replica passes on to it.
 */
@Controller()
export class FailoverGrpcController {
  constructor(
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly gate: ApiGate,
    private readonly status: FailoverStatusService,
    private readonly mover: VsvrMover,
    private readonly forwarder: LeaderForwarder,
  ) {}

  @GrpcMethod(SERVICE, 'GetFailoverStatus')
  getFailoverStatus(
    req: GetFailoverStatusRequest__Output,
    md: Metadata,
    call: UnaryCall,
  ): Promise<GetFailoverStatusResponse> {
    const rpc = rpcCall(SERVICE, 'GetFailoverStatus', req, md, call);
    return this.gate.run(rpc, READ, async () => {
      if (req.recent > MAX_RECENT) {
        throw requestRefusal(
          'recent',
          `at most ${MAX_RECENT} failovers are returned, not ${req.recent}`,
        );
      }
      const now = await this.status.read(req.recent === 0 ? DEFAULT_RECENT : req.recent);
      const lease = now.leader;
      return {
        leader: {
          holder: lease?.held === true ? lease.holder : '',
          epoch: lease?.epoch ?? '0',
          endpoint: lease?.held === true ? lease.endpoint : '',
          expiresUnixMs: String(lease?.expiresUnixMs ?? 0),
        },
        filers: now.filers.map(filerHealthToWire),
        vsvrs: now.vsvrs.map(placementToWire),
        recent: now.recent.map(failoverToWire),
        heartbeat: heartbeatSettingsToWire(this.config),
        generation: now.generation,
      };
    });
  }

  @GrpcMethod(SERVICE, 'MoveVsvr')
  moveVsvr(req: MoveVsvrRequest__Output, md: Metadata, call: UnaryCall): Promise<MoveVsvrResponse> {
    const rpc = rpcCall(SERVICE, 'MoveVsvr', req, md, call);
    return this.gate.run(
      rpc,
      (r) => vsvrNetwork(r.vsvr),
      async (caller) => {
        if (req.vsvr === '') {
          throw requestRefusal('vsvr', 'name the vsvr to move');
        }
        if (req.filer === '') {
          throw requestRefusal('filer', 'name the filer to move it to');
        }
        const expected = req.expectedGeneration === '0' ? undefined : req.expectedGeneration;
        try {
          const done = await this.mover.move(req.vsvr, req.filer, audited(caller), expected);
          return { failover: failoverToWire(done.failover), generation: done.generation };
        } catch (err) {
          if (err instanceof NotLeader) {
            return this.forwarder.moveVsvr(req, md, call.getDeadline());
          }
          if (err instanceof MoveAborted) {
            throw plainStatus(status.UNAVAILABLE, err.message);
          }
          throw err;
        }
      },
    );
  }
}
