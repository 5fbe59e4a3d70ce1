import { Option } from 'commander';
import { DEFAULT_FAILBACK_HOLD_DOWN_SECONDS } from '@vsnet/model';
import type { Command } from 'commander';
import { CliError } from './cli-io.js';
import { registerVsvrMoveCommand } from './failover.command.js';
import { mutatingVerb, waitForChange } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import {
  emit,
  onlineVerb,
  parseCount,
  parseList,
  plural,
  READ_FORMATS,
  renderFields,
  verbGroup,
  WRITE_FORMATS,
} from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { routeText } from './policy.command.js';
import { unary, withServer } from './server-client.js';
import type { ServerCall } from './server-client.js';
import { renderTable } from './table.js';
import type {
  AddAddressResponse__Output,
  AddressDocument__Output,
  CreateVsvrResponse__Output,
  DeleteVsvrResponse__Output,
  GetVsvrResponse__Output,
  ListVsvrsResponse__Output,
  Placement__Output,
  RemoveAddressResponse__Output,
  SetFailoverGroupResponse__Output,
  SetVsvrRoutingPolicyResponse__Output,
  VsvrDocument__Output,
  VsvrView__Output,
} from './wire-types.js';

interface CreateOptions extends OnlineOptions {
  readonly failoverGroup?: string[];
  readonly routingPolicy?: string;
}

interface ListOptions extends OnlineOptions {
  readonly filer?: string;
}

interface SetGroupOptions extends OnlineOptions {
  readonly any?: boolean;
}

interface SetPolicyOptions extends OnlineOptions {
  readonly default?: boolean;
}

interface AddAddressOptions extends OnlineOptions {
  readonly instance?: number;
  readonly dhcp?: boolean;
}

/** `data0#1` → (data0, 1); anything else is an address. */
export function parseAddressSelector(
  value: string,
): { address: string } | { aliasInstance: { alias: string; instance: number } } {
  const match = /^([^#\s]+)#(\d+)$/.exec(value);
  if (match === null) {
    return { address: value };
  }
  const [, alias = '', instance = '0'] = match;
  return { aliasInstance: { alias, instance: Number(instance) } };
}

/** `data0#1`: how an address of a vsvr is named. */
export function aliasInstance(a: AddressDocument__Output): string {
  return a.instance === undefined ? a.alias : `${a.alias}#${a.instance}`;
}

function groupText(vsvr: VsvrDocument__Output | null): string {
  return vsvr !== null && vsvr.failoverGroup !== null
    ? vsvr.failoverGroup.filers.join(', ')
    : 'any filer';
}

/** `vsnet vsvr …`: virtual servers, their failover group, routing policy and addresses. */
export function registerVsvrCommands(program: Command, io: CliIo): void {
  const vsvr = verbGroup(
    program,
    'vsvr',
    'virtual servers: their addresses, failover group and routing policy, and where they run',
  );

  mutatingVerb(
    vsvr
      .command('create')
      .description('create a vsvr without addresses')
      .argument('<name>', 'the vsvr name')
      .addOption(
        new Option(
          '--failover-group <filers>',
          'the filers it may run on, in order, comma separated (default: any filer with its aliases)',
        ).argParser((value: string) => parseList(value)),
      )
      .addOption(
        new Option('--routing-policy <policy>', "its routing policy (default: the cluster's)"),
      ),
    WRITE_FORMATS,
    ['vsnet vsvr create sales --failover-group filer1,filer2 --routing-policy office'],
  ).action(async (name: string, options: CreateOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<CreateVsvrResponse__Output>(call, (m, o, cb) =>
        call.client('VsvrService').createVsvr(
          {
            name,
            ...(options.failoverGroup !== undefined
              ? { failoverGroup: { filers: options.failoverGroup } }
              : {}),
            ...(options.routingPolicy !== undefined
              ? { routingPolicy: options.routingPolicy }
              : {}),
          },
          m,
          o,
          cb,
        ),
      ),
    );
    emit(io, options.output, res, () => {
      const policy = res.vsvr?.routingPolicy ?? "the cluster's default";
      return `created vsvr ${res.vsvr?.name ?? name} (failover group: ${groupText(res.vsvr)}; routing policy: ${policy}); generation ${res.generation}`;
    });
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    vsvr
      .command('delete')
      .description('delete a vsvr with its addresses and routes')
      .argument('<name>', 'the vsvr'),
    WRITE_FORMATS,
    ['vsnet vsvr delete sales'],
  ).action(async (name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<DeleteVsvrResponse__Output>(call, (m, o, cb) =>
        call.client('VsvrService').deleteVsvr({ name }, m, o, cb),
      ),
    );
    emit(io, options.output, res, () => `deleted vsvr ${name}; generation ${res.generation}`);
    await waitForChange(io, options, res.generation);
  });

  onlineVerb(
    vsvr
      .command('list')
      .description('list the vsvrs with where they run and their addresses')
      .addOption(new Option('--filer <filer>', 'only the vsvrs that may run on this filer')),
    READ_FORMATS,
    ['vsnet vsvr list', 'vsnet vsvr list --filer filer2 -o json'],
  ).action(async (options: ListOptions) => {
    const vsvrs = await withServer(options, io, (call) => listVsvrs(call, options.filer ?? ''));
    emit(io, options.output, { vsvrs }, (palette) => renderVsvrs(vsvrs, palette));
  });

  onlineVerb(
    vsvr
      .command('show')
      .description('show one vsvr: placement, routing, addresses with their DHCP identifiers')
      .argument('<name>', 'the vsvr'),
    READ_FORMATS,
    ['vsnet vsvr show sales'],
  ).action(async (name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<GetVsvrResponse__Output>(call, (m, o, cb) =>
        call.client('VsvrService').getVsvr({ name }, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) => renderVsvr(res, palette));
  });

  mutatingVerb(
    vsvr
      .command('set-group')
      .description('replace the failover group of a vsvr, or let it run on any filer (--any)')
      .argument('<name>', 'the vsvr')
      .argument('[filers]', 'the filers it may run on, in order, comma separated')
      .addOption(new Option('--any', 'no failover group: any filer that has its aliases')),
    WRITE_FORMATS,
    ['vsnet vsvr set-group sales filer2,filer1', 'vsnet vsvr set-group sales --any'],
  ).action(async (name: string, filers: string | undefined, options: SetGroupOptions) => {
    if ((filers === undefined) === (options.any !== true)) {
      throw new CliError(
        'vsnet vsvr set-group: give either the filers (filer1,filer2) or --any, not both or neither',
      );
    }
    const group = filers === undefined ? undefined : parseList(filers);
    const res = await withServer(options, io, (call) =>
      unary<SetFailoverGroupResponse__Output>(call, (m, o, cb) =>
        call
          .client('VsvrService')
          .setFailoverGroup(
            { vsvr: name, ...(group !== undefined ? { failoverGroup: { filers: group } } : {}) },
            m,
            o,
            cb,
          ),
      ),
    );
    emit(io, options.output, res, () => {
      const runs = res.placement === null ? undefined : runsOn(res.placement);
      return `set the failover group of ${name} to ${groupText(res.vsvr)}${runs !== undefined ? ` (runs on ${runs})` : ''}; generation ${res.generation}`;
    });
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    vsvr
      .command('set-policy')
      .description("set the routing policy of a vsvr, or go back to the cluster's default")
      .argument('<name>', 'the vsvr')
      .argument('[policy]', 'the routing policy')
      .addOption(new Option('--default', "use the cluster's default routing policy")),
    WRITE_FORMATS,
    ['vsnet vsvr set-policy sales office', 'vsnet vsvr set-policy sales --default'],
  ).action(async (name: string, policy: string | undefined, options: SetPolicyOptions) => {
    if ((policy === undefined) === (options.default !== true)) {
      throw new CliError(
        'vsnet vsvr set-policy: give either a routing policy or --default, not both or neither',
      );
    }
    const res = await withServer(options, io, (call) =>
      unary<SetVsvrRoutingPolicyResponse__Output>(call, (m, o, cb) =>
        call
          .client('RoutingService')
          .setVsvrRoutingPolicy(
            { vsvr: name, ...(policy !== undefined ? { policy } : {}) },
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
      () =>
        `set the routing policy of ${name} to ${policy ?? "the cluster's default"}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  const address = verbGroup(vsvr, 'address', 'the addresses of a vsvr');

  mutatingVerb(
    address
      .command('add')
      .description('add an address to a vsvr on a data# alias')
      .argument('<vsvr>', 'the vsvr')
      .argument('<alias>', 'the data# alias (data0, data0.5)')
      .argument('<address>', 'address/prefix')
      .addOption(
        new Option(
          '--instance <n>',
          'the instance within (vsvr, alias) (default: the lowest free one)',
        ).argParser(parseCount('--instance')),
      )
      .addOption(new Option('--dhcp', 'the address is leased by DHCP (default: static)')),
    WRITE_FORMATS,
    [
      'vsnet vsvr address add sales data0 198.51.100.7/24',
      'vsnet vsvr address add sales data0 198.51.100.8/24 --instance 3 --dhcp',
    ],
  ).action(async (vsvrName: string, alias: string, addr: string, options: AddAddressOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<AddAddressResponse__Output>(call, (m, o, cb) =>
        call.client('VsvrService').addAddress(
          {
            vsvr: vsvrName,
            alias,
            address: addr,
            ...(options.instance !== undefined ? { number: options.instance } : { nextFree: true }),
            ...(options.dhcp === true ? { mode: 'dhcp' } : {}),
          },
          m,
          o,
          cb,
        ),
      ),
    );
    emit(io, options.output, res, () => addedLine(res));
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    address
      .command('remove')
      .description('remove an address of a vsvr, named by its address or by alias#instance')
      .argument('<vsvr>', 'the vsvr')
      .argument('<address>', 'address/prefix, the bare address, or ALIAS#N (data0#1)'),
    WRITE_FORMATS,
    ['vsnet vsvr address remove sales 198.51.100.7/24', 'vsnet vsvr address remove sales data0#1'],
  ).action(async (vsvrName: string, selector: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<RemoveAddressResponse__Output>(call, (m, o, cb) =>
        call
          .client('VsvrService')
          .removeAddress({ vsvr: vsvrName, ...parseAddressSelector(selector) }, m, o, cb),
      ),
    );
    emit(io, options.output, res, () => {
      const removed = res.removed;
      const what = removed !== null ? `${removed.address} (${aliasInstance(removed)})` : selector;
      return `removed ${what} from ${vsvrName}; generation ${res.generation}`;
    });
    await waitForChange(io, options, res.generation);
  });

  registerVsvrMoveCommand(vsvr, io);
}

/** `added 198.51.100.7/24 to sales as data0#1 (identifier …); generation 12`. */
export function addedLine(res: AddAddressResponse__Output): string {
  const a = res.address;
  const address = a !== null ? `${a.address}${a.mode === 'dhcp' ? ' (dhcp)' : ''}` : '';
  const as = a !== null ? ` as ${aliasInstance(a)}` : '';
  return `added ${address} to ${res.vsvr}${as} (identifier ${res.identifier}); generation ${res.generation}`;
}

async function listVsvrs(call: ServerCall, filer: string): Promise<VsvrView__Output[]> {
  const all: VsvrView__Output[] = [];
  let pageToken = '';
  do {
    const res = await unary<ListVsvrsResponse__Output>(call, (m, o, cb) =>
      call.client('VsvrService').listVsvrs({ filer, pageToken }, m, o, cb),
    );
    all.push(...res.vsvrs);
    pageToken = res.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** Where the vsvr runs now: its placement after a failover or a move, else its home filer. */
function runsOn(placement: Placement__Output | null): string {
  const active = placement?.activeFiler || placement?.runsOn[0];
  return active ?? '(nowhere)';
}

/** NAME, RUNS ON, FAILOVER GROUP, POLICY, ADDRESSES (one line each). */
export function renderVsvrs(vsvrs: readonly VsvrView__Output[], palette: Palette): string {
  if (vsvrs.length === 0) {
    return 'no vsvrs';
  }
  return renderTable(
    [
      { header: 'NAME', style: palette.cyan },
      { header: 'RUNS ON' },
      { header: 'FAILOVER GROUP' },
      { header: 'POLICY', optional: true },
      { header: 'ADDRESSES', optional: true },
    ],
    vsvrs.map((v) => [
      v.vsvr?.name ?? '',
      runsOn(v.placement),
      groupText(v.vsvr),
      v.vsvr?.routingPolicy ?? '',
      v.addresses
        .flatMap((a) =>
          a.address !== null ? [`${aliasInstance(a.address)} ${a.address.address}`] : [],
        )
        .join('\n'),
    ]),
    palette,
  );
}

/** `vsnet vsvr show`: fields, then the addresses and own routes as tables. */
export function renderVsvr(res: GetVsvrResponse__Output, palette: Palette): string {
  const view = res.vsvr;
  const v = view?.vsvr ?? null;
  const placement = view?.placement ?? null;
  const parts = [
    renderFields(
      [
        ['name', v?.name],
        ['failover group', groupText(v)],
        ['routing policy', v?.routingPolicy ?? "(the cluster's default)"],
        ['runs on', runsOn(placement)],
        [
          'failback',
          v?.failback === 'auto'
            ? `auto, after its home filer is up ${v.failbackHoldDown ?? DEFAULT_FAILBACK_HOLD_DOWN_SECONDS} s`
            : 'manual',
        ],
        [
          'may run on',
          placement !== null && placement.runsOn.length > 0
            ? placement.runsOn.join(', ')
            : undefined,
        ],
        ...(placement?.excluded ?? []).map(
          (e) => [`not on ${e.filer}`, e.reasons.join('; ')] as const,
        ),
        ['generation', res.generation],
      ],
      palette,
    ),
  ];
  const addresses = view?.addresses ?? [];
  parts.push(
    addresses.length === 0
      ? `\n${palette.bold('addresses:')} none`
      : `\n${palette.bold('addresses:')}\n` +
          renderTable(
            [
              { header: 'ALIAS#N' },
              { header: 'ADDRESS', style: palette.cyan },
              { header: 'MODE' },
              { header: 'SITE', optional: true },
              { header: 'IDENTIFIER' },
            ],
            addresses.map((a) => [
              a.address !== null ? aliasInstance(a.address) : '',
              a.address?.address ?? '',
              a.address?.mode ?? 'static',
              a.site ?? '',
              a.identifier,
            ]),
            palette,
            { indent: 2 },
          ).trimEnd(),
  );
  if (v !== null && v.routes.length > 0) {
    parts.push(
      `\n${palette.bold(`own routes (${plural(v.routes.length, 'route')}):`)}\n` +
        v.routes.map((r) => `  ${routeText(r)}`).join('\n'),
    );
  }
  return parts.join('\n');
}
