import { join as joinPath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import type { DataplaneDriver } from '@vsnet/dataplane';
import { FILER_NAMESPACE } from '@vsnet/dataplane';
import {
  clusterApiGrpc,
  loadClusterApiPackageDefinition,
} from '../../../libs/contracts/src/cluster-api.js';
import type { JoinFilerRequest } from '../../../libs/contracts/src/generated/vsnet/v1/JoinFilerRequest.js';
import type { JoinFilerResponse__Output } from '../../../libs/contracts/src/generated/vsnet/v1/JoinFilerResponse.js';
import { tlsChannelCredentials } from '../../../libs/contracts/src/tls.js';
import { AtomicFile } from './atomic-file.js';
import type { AtomicFileSystem } from './atomic-file.js';
import type { JoinConfig } from './config.js';
import type { Logger } from './logger.js';
import { errorMessage } from './logger.js';

/** The file in the state folder that records a join, so a restart does not spend the token again. */
export const JOIN_RECORD_FILE = 'join.json';

/** One physical interface as JoinFiler wants it. */
export interface PhysicalInterface {
  readonly name: string;
  readonly mac: string;
}

/** Calls FilerService/JoinFiler once, with a deadline; rejects with the gRPC error. */
export type JoinCall = (
  request: JoinFilerRequest,
  deadline: Date,
) => Promise<JoinFilerResponse__Output>;

export interface JoinTiming {
  /** Deadline of one JoinFiler call. */
  readonly callTimeoutMs: number;
  /** The wait after the first failure; it doubles after each further one… */
  readonly firstDelayMs: number;
  /** …up to this. */
  readonly maxDelayMs: number;
}

export const DEFAULT_JOIN_TIMING: JoinTiming = {
  callTimeoutMs: 10_000,
  firstDelayMs: 1_000,
  maxDelayMs: 60_000,
};

const ETH = /^eth(\d+)$/;
const ZERO_MAC = '00:00:00:00:00:00';

/**
 * The filer's physical interfaces: the `eth#` links of the filer namespace as the driver reads
 * them, with their MACs, in number order. A bond member's MAC may be its bond's by then, which
 * is why an agent joins once (the join record) rather than at every start.
 */
export async function discoverInterfaces(driver: DataplaneDriver): Promise<PhysicalInterface[]> {
  const observed = await driver.inspect();
  const found = observed.links
    .filter((l) => l.namespace === FILER_NAMESPACE && ETH.test(l.name))
    .filter((l) => l.mac !== '' && l.mac !== ZERO_MAC)
    .map((l) => ({ name: l.name, mac: l.mac.toLowerCase() }));
  return found.sort((a, b) => ethNumber(a.name) - ethNumber(b.name));
}

function ethNumber(name: string): number {
  return Number(ETH.exec(name)?.[1] ?? 0);
}

/**
 * A JoinFiler caller of `controlServer`, and how to close it: over TLS trusting `controlCa`
 * when given (VSNET_CONTROL_TLS_CA), in plaintext otherwise. The join token travels in the
 * request, so only a TLS channel keeps it from the network.
 */
export function grpcJoinCall(
  controlServer: string,
  controlCa?: Buffer,
): { call: JoinCall; close: () => void } {
  const { FilerService } = clusterApiGrpc(loadClusterApiPackageDefinition());
  const client = new FilerService(
    controlServer,
    tlsChannelCredentials(controlCa === undefined ? undefined : { ca: controlCa }),
  );
  return {
    call: (request, deadline) =>
      new Promise((resolve, reject) => {
        client.JoinFiler(request, { deadline }, (err, answer) => {
          if (err !== null) {
            reject(err);
          } else if (answer === undefined) {
            reject(new Error('JoinFiler gave no answer'));
          } else {
            resolve(answer);
          }
        });
      }),
    close: () => client.close(),
  };
}

/** What the join record keeps: which token was spent, for which filer and address. */
interface JoinRecord {
  readonly tokenId: string;
  readonly filer: string;
  readonly controlServer: string;
  readonly agentAddress: string;
  readonly generation: string;
  readonly at: string;
}

export interface JoinerOptions {
  readonly filer: string;
  readonly join: JoinConfig;
  readonly stateDir: string;
  readonly driver: DataplaneDriver;
  readonly logger: Logger;
  readonly call: JoinCall;
  readonly timing?: JoinTiming;
  readonly files?: AtomicFileSystem;
}

/**
 * Registers this agent's filer with the control service (FilerService/JoinFiler): reports the
 * filer's name, its physical interfaces and the address to dial the agent at, with the join
 * token. A failure that may pass (unreachable, deadline, cluster not initialized yet) is logged
 * in one line and retried after a wait that doubles up to `maxDelayMs`, until the join succeeds
 * or the agent stops; a refusal for good (bad or spent token, bad request) is logged as an error
 * and ends the loop. A success is recorded in the state folder, and a later start with the same
 * token does not call again (the token works once); the answer "used by filer <this filer>"
 * counts as a success, since it is this agent's own join whose answer was lost.
 */
export class FilerJoiner {
  private readonly record: AtomicFile;
  private readonly timing: JoinTiming;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly options: JoinerOptions) {
    this.record = new AtomicFile(joinPath(options.stateDir, JOIN_RECORD_FILE), options.files);
    this.timing = options.timing ?? DEFAULT_JOIN_TIMING;
  }

  /** Starts joining in the background, as `agentAddress`; resolves when the loop ends. */
  start(agentAddress: string): Promise<void> {
    this.running ??= this.run(agentAddress).catch((err: unknown) => {
      this.options.logger.error(`join stopped: ${errorMessage(err)}`);
    });
    return this.running;
  }

  /** Ends the retry loop (a call in flight runs to its deadline, its answer is ignored). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(agentAddress: string): Promise<void> {
    const { logger, join } = this.options;
    const tokenId = /^vsj_(\d+)_/.exec(join.token)?.[1] ?? '';
    const done = await this.joinedBefore(tokenId);
    if (done !== undefined) {
      logger.info('joined already', {
        joinToken: tokenId,
        at: done.at,
        agentAddress: done.agentAddress,
      });
      return;
    }
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        const answer = await this.attempt(agentAddress);
        if (this.stopping.signal.aborted) {
          return;
        }
        await this.remember(
          tokenId,
          answer.filer?.name ?? this.options.filer,
          agentAddress,
          answer.generation,
        );
        logger.info('joined', {
          controlServer: join.controlServer,
          agentAddress,
          registered: answer.registered,
          generation: answer.generation,
        });
        return;
      } catch (err) {
        const outcome = outcomeOf(err, this.options.filer);
        if (outcome === 'joined-before') {
          // An earlier attempt joined but its answer was lost (deadline, broken connection).
          await this.remember(tokenId, this.options.filer, agentAddress, '');
          logger.info('joined', {
            controlServer: join.controlServer,
            agentAddress,
            note: 'an earlier attempt joined; its answer was lost',
          });
          return;
        }
        if (outcome === 'refused') {
          logger.error(
            `join refused: ${describe(err)}; not retrying: fix the agent's settings or mint a new join token and restart the agent`,
            { controlServer: join.controlServer },
          );
          return;
        }
        const waitMs = this.delay(attempt);
        logger.warn(
          `join failed (attempt ${attempt}): ${describe(err)}; retrying in ${Math.round(waitMs / 100) / 10}s`,
          { controlServer: join.controlServer, retryInMs: waitMs },
        );
        await sleep(waitMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** Records the join in the state folder, so a restart does not present the token again. */
  private async remember(
    tokenId: string,
    filer: string,
    agentAddress: string,
    generation: string,
  ): Promise<void> {
    await this.record.write(
      `${JSON.stringify(
        {
          tokenId,
          filer,
          controlServer: this.options.join.controlServer,
          agentAddress,
          generation,
          at: new Date().toISOString(),
        } satisfies JoinRecord,
        null,
        2,
      )}\n`,
    );
  }

  private async attempt(agentAddress: string): Promise<JoinFilerResponse__Output> {
    const { join, driver, filer, call } = this.options;
    const interfaces = join.interfaces ?? (await discoverInterfaces(driver));
    if (interfaces.length === 0) {
      throw new Error(
        'found no eth# link with a MAC in the filer namespace; check VSNET_AGENT_FILER_NAMESPACE, or list them in VSNET_AGENT_JOIN_INTERFACES',
      );
    }
    return call(
      {
        joinToken: join.token,
        name: filer,
        interfaces: interfaces.map((i) => ({ name: i.name, mac: i.mac })),
        agentAddress,
      },
      new Date(Date.now() + this.timing.callTimeoutMs),
    );
  }

  /** The wait before attempt `attempt + 1`: doubling from `firstDelayMs`, jittered by ±20%. */
  private delay(attempt: number): number {
    const base = Math.min(
      this.timing.maxDelayMs,
      this.timing.firstDelayMs * 2 ** Math.min(attempt - 1, 30),
    );
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** The join record when it is this token's; a record that cannot be read counts as none. */
  private async joinedBefore(tokenId: string): Promise<JoinRecord | undefined> {
    try {
      const text = await this.record.read();
      const record = text === undefined ? undefined : (JSON.parse(text) as Partial<JoinRecord>);
      return record?.tokenId === tokenId && typeof record.at === 'string'
        ? (record as JoinRecord)
        : undefined;
    } catch (err) {
      this.options.logger.warn(
        `ignoring the join record ${this.record.path}: ${errorMessage(err)}`,
      );
      return undefined;
    }
  }
}

/**
 * Answers the control service gives for good: the token is bad or spent (a refused join spends
 * it), or the request is wrong in a way the same request will not mend. FAILED_PRECONDITION is
 * not among them: before the cluster exists a join is refused that way and keeps its token.
 */
const REFUSALS: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAUTHENTICATED,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED,
  grpc.status.NOT_FOUND,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNIMPLEMENTED,
]);

/**
 * What a failed attempt means: this filer joined with the token already (an earlier attempt
 * whose answer was lost: the control service says the token "was used by filer <this filer>"),
 * a refusal that retrying cannot change, or a failure worth retrying.
 */
function outcomeOf(err: unknown, filer: string): 'joined-before' | 'refused' | 'retry' {
  if (typeof err !== 'object' || err === null || !('code' in err)) {
    return 'retry';
  }
  const e = err as grpc.ServiceError;
  if (!REFUSALS.has(e.code)) {
    return 'retry';
  }
  const usedBy = /^the join token was used by filer (\S+) at /.exec(e.details ?? '')?.[1];
  if (e.code === grpc.status.UNAUTHENTICATED && usedBy?.toLowerCase() === filer.toLowerCase()) {
    return 'joined-before';
  }
  return 'refused';
}

/** A failed attempt in a few words: the gRPC status and the server's sentence. */
function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && 'details' in err) {
    const e = err as grpc.ServiceError;
    return `${grpc.status[e.code] ?? String(e.code)}: ${e.details}`;
  }
  return errorMessage(err);
}
