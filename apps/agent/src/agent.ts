import { mkdir } from 'node:fs/promises';
import { tlsServerCredentials } from '../../../libs/contracts/src/tls.js';
import { agentGrpc, loadAgentPackageDefinition } from '@vsnet/contracts';
import type { DataplaneDriver } from '@vsnet/dataplane';
import { AgentEvents } from './agent-events.js';
import { WatchStreams, agentHandlers } from './agent.grpc.js';
import { AgentServer } from './agent.server.js';
import type { AtomicFileSystem } from './atomic-file.js';
import type { AgentConfig } from './config.js';
import { startAgentDhcp } from './dhcp/agent-dhcp.js';
import { DhcpServerService } from './dhcp-server/dhcp-server.service.js';
import { createDriver } from './driver-factory.js';
import { FencingStore } from './fencing-store.js';
import { startHeartbeatThread } from './heartbeat-thread.js';
import type { Heartbeats, HeartbeatsFactory } from './heartbeat-thread.js';
import { FilerJoiner, grpcJoinCall } from './join.js';
import { LeadershipService } from './leadership.service.js';
import type { JoinCall, JoinTiming } from './join.js';
import type { Logger } from './logger.js';
import { ReconcilerService } from './reconciler.service.js';
import { SpecCache } from './spec-cache.js';

/** The edges a caller may substitute; each defaults to the real one. */
export interface AgentEdges {
  readonly driver?: DataplaneDriver;
  readonly files?: AtomicFileSystem;
  /** How JoinFiler is called when the agent joins (default: gRPC to VSNET_CONTROL_SERVER). */
  readonly joinCall?: JoinCall;
  readonly joinTiming?: JoinTiming;
  /** Aborts a start that waits (the DHCP bootstrap) when the agent is told to stop meanwhile. */
  readonly startSignal?: AbortSignal;
  /** Starts the heartbeat responder (default: its worker thread, from the build). */
  readonly heartbeats?: HeartbeatsFactory;
}

export interface RunningAgent {
  /** The address the server is bound to (with the real port when 0 was asked for). */
  readonly address: string;
  readonly reconciler: ReconcilerService;
  /** UDP port heartbeats are answered on; 0 when there is none (a unix socket listen). */
  readonly heartbeatPort: number;
  /** Stops taking calls and applies, lets the running apply finish, ends Watch streams. */
  stop(): Promise<void>;
}

/**
 * Starts an agent: state folder, fencing, driver, cached spec (applied before serving,
 * §5.2.6.1), then the gRPC server. Logs one `listening` line with the bound address.
 */
export async function startAgent(
  config: AgentConfig,
  logger: Logger,
  edges: AgentEdges = {},
): Promise<RunningAgent> {
  await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  const fencing = await FencingStore.open(config.stateDir, edges.files);
  const driver = edges.driver ?? createDriver(config);
  const events = new AgentEvents();
  const cache = new SpecCache(fencing);
  // DHCP clients for `dhcp` addresses; in bootstrap mode, the interfaces built from DHCP first.
  const dhcp = await startAgentDhcp(config, driver, cache, logger, edges.startSignal);
  // The internal DHCP server, while this filer hosts vs_mgmt and the cluster wants one.
  const dhcpServer = new DhcpServerService(config.stateDir, config.namespacePrefix, logger);
  // The dry-run driver has no kernel for a DHCP client or server to run in: there a `dhcp`
  // address is plumbed as reserved and no DHCP server is started.
  const realKernel = driver.kind === 'linux';
  if (!realKernel) {
    logger.info('dry-run driver: dhcp addresses are taken as leased, no DHCP server runs');
  }
  const reconciler = new ReconcilerService(
    dhcp.filer,
    driver,
    fencing,
    cache,
    events,
    logger,
    realKernel ? dhcp.leases : undefined,
    realKernel ? dhcpServer : undefined,
    config.namespacePrefix,
  );
  logger.info('starting', {
    driver: driver.kind,
    stateDir: config.stateDir,
    generation: fencing.state.lastGeneration.toString(),
    epoch: fencing.state.highestEpoch.toString(),
  });
  await reconciler.restoreFromCache();

  const definition = loadAgentPackageDefinition();
  const watches = new WatchStreams();
  const serialize = agentGrpc(definition).Agent.service.Apply.responseSerialize;
  const leadership = new LeadershipService(fencing, reconciler, logger);
  const server = new AgentServer(
    definition,
    agentHandlers(reconciler, leadership, events, watches, serialize, logger),
  );
  const address = await server.listen(
    config.listen,
    config.tls === undefined
      ? undefined
      : tlsServerCredentials(config.tls.identity, config.tls.clientCa),
  );
  let heartbeats: Heartbeats | undefined;
  try {
    heartbeats = await startHeartbeats(config, address, fencing, reconciler, logger, edges);
  } catch (err) {
    await server.shutdown(0);
    throw err;
  }
  leadership.attach(heartbeats);
  logger.info('listening', {
    address,
    heartbeatPort: heartbeats?.port ?? 0,
    tls: tlsMode(config),
  });
  const joining = startJoining({ ...config, filer: dhcp.filer }, address, driver, logger, edges);

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    logger.info('stopping: finishing the running apply, refusing new ones');
    server.setServing(false);
    const drained = reconciler.close();
    const closed = server.shutdown();
    watches.endAll();
    await joining?.stop();
    await drained;
    await heartbeats?.close();
    await dhcpServer.stop();
    await dhcp.close();
    await closed;
    logger.info('stopped');
  };
  return {
    address,
    reconciler,
    heartbeatPort: heartbeats?.port ?? 0,
    stop: () => (stopping ??= stop()),
  };
}

/**
 * The heartbeat responder on the listen host, at VSNET_AGENT_HEARTBEAT_PORT or else the port
 * number the gRPC server bound; none for a unix socket (logged: such an agent never fences).
 */
async function startHeartbeats(
  config: AgentConfig,
  boundAddress: string,
  fencing: FencingStore,
  reconciler: ReconcilerService,
  logger: Logger,
  edges: AgentEdges,
): Promise<Heartbeats | undefined> {
  if (boundAddress.startsWith('unix:')) {
    logger.warn(
      'listening on a unix socket: no UDP heartbeat responder runs, so no leader can watch this agent and it never fences; listen on host:port for failover',
    );
    return undefined;
  }
  const colon = boundAddress.lastIndexOf(':');
  const host = boundAddress.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = config.heartbeatPort ?? Number(boundAddress.slice(colon + 1));
  const start = edges.heartbeats ?? startHeartbeatThread;
  return start(
    { host, port },
    LeadershipService.initialUpdate(fencing, reconciler.status()),
    logger,
  );
}

/**
 * How the server speaks, for the `listening` line: `off` (plaintext), `tls`, or `mutual`
 * (callers must present a certificate of VSNET_AGENT_TLS_CA).
 */
function tlsMode(config: AgentConfig): 'off' | 'tls' | 'mutual' {
  if (config.tls === undefined) {
    return 'off';
  }
  return config.tls.clientCa === undefined ? 'tls' : 'mutual';
}

/**
 * With a join token (config.join), joins the cluster in the background once the server is up,
 * so the control service can dial back as soon as it accepted the join; `undefined` without.
 */
function startJoining(
  config: AgentConfig,
  boundAddress: string,
  driver: DataplaneDriver,
  logger: Logger,
  edges: AgentEdges,
): { stop(): Promise<void> } | undefined {
  const join = config.join;
  if (join === undefined) {
    return undefined;
  }
  const channel =
    edges.joinCall === undefined
      ? grpcJoinCall(join.controlServer, join.controlCa)
      : { call: edges.joinCall, close: () => undefined };
  const joiner = new FilerJoiner({
    filer: config.filer,
    join,
    stateDir: config.stateDir,
    driver,
    logger,
    call: channel.call,
    ...(edges.joinTiming !== undefined ? { timing: edges.joinTiming } : {}),
    ...(edges.files !== undefined ? { files: edges.files } : {}),
  });
  void joiner.start(join.advertise ?? boundAddress).finally(() => channel.close());
  return { stop: () => joiner.stop() };
}
