import { Option } from 'commander';
import type { Command } from 'commander';
import { mutatingVerb, waitForChange } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import {
  emit,
  formatTime,
  onlineVerb,
  parseCount,
  READ_FORMATS,
  renderFields,
  verbGroup,
  WRITE_FORMATS,
} from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import type {
  ChangeClusterMacResponse__Output,
  GetClusterResponse__Output,
  InitClusterResponse__Output,
} from './wire-types.js';

interface InitOptions extends OnlineOptions {
  readonly name: string;
  readonly mac: string;
}

interface SetMacOptions extends OnlineOptions {
  readonly expectedGeneration?: number;
}

/** `vsnet cluster init|show|set-mac`: the cluster's identity (ClusterService). */
export function registerClusterCommands(program: Command, io: CliIo): void {
  const cluster = verbGroup(program, 'cluster', "the cluster's name, cluster MAC and generation");

  mutatingVerb(
    cluster
      .command('init')
      .description('create the cluster with its name and cluster MAC (generation 1, no filers)')
      .addOption(new Option('--name <name>', 'the cluster name').makeOptionMandatory())
      .addOption(
        new Option('--mac <mac>', 'the cluster MAC, colon separated').makeOptionMandatory(),
      ),
    WRITE_FORMATS,
    ['vsnet cluster init --name lab --mac 00:00:5e:00:53:01'],
  ).action(async (options: InitOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<InitClusterResponse__Output>(call, (m, o, cb) =>
        call
          .client('ClusterService')
          .initCluster({ name: options.name, mac: options.mac }, m, o, cb),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () =>
        `initialized cluster ${res.cluster?.name ?? options.name} with cluster MAC ${res.cluster?.mac ?? options.mac}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  onlineVerb(
    cluster.command('show').description("show the cluster's settings, generation and counts"),
    READ_FORMATS,
    ['vsnet cluster show', 'vsnet cluster show -o json'],
  ).action(async (options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<GetClusterResponse__Output>(call, (m, o, cb) =>
        call.client('ClusterService').getCluster({}, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) => renderCluster(res, palette));
  });

  mutatingVerb(
    cluster
      .command('set-mac')
      .description(
        'change the cluster MAC: every DHCP identifier and every filer spec changes with it',
      )
      .argument('<mac>', 'the new cluster MAC, colon separated')
      .addOption(
        new Option(
          '--expected-generation <g>',
          'refuse unless the cluster is still at this generation',
        ).argParser(parseCount('--expected-generation')),
      ),
    WRITE_FORMATS,
    ['vsnet cluster set-mac 00:00:5e:00:53:02 --expected-generation 12'],
  ).action(async (mac: string, options: SetMacOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<ChangeClusterMacResponse__Output>(call, (m, o, cb) =>
        call.client('ClusterService').changeClusterMac(
          {
            mac,
            ...(options.expectedGeneration !== undefined
              ? { expectedGeneration: options.expectedGeneration }
              : {}),
          },
          m,
          o,
          cb,
        ),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () => `changed the cluster MAC to ${res.cluster?.mac ?? mac}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });
}

/** `vsnet cluster show` for a person. */
export function renderCluster(res: GetClusterResponse__Output, palette: Palette): string {
  return renderFields(
    [
      ['name', res.cluster?.name ?? '(none)'],
      ['cluster MAC', res.cluster?.mac],
      ['default routing policy', res.cluster?.defaultRoutingPolicy ?? '(none)'],
      ['generation', res.generation],
      ['filers', String(res.filerCount)],
      ['vsvrs', String(res.vsvrCount)],
      ['updated', formatTime(res.updatedUnixMs) || undefined],
    ],
    palette,
  );
}
