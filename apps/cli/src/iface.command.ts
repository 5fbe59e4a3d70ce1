import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { CliError } from './cli-io.js';
import { mutatingVerb, waitForChange } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import {
  emit,
  onlineVerb,
  parseCount,
  parseList,
  READ_FORMATS,
  verbGroup,
  WRITE_FORMATS,
} from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import type { ServerCall } from './server-client.js';
import { renderTable } from './table.js';
import type {
  AliasKind,
  CreateAliasResponse__Output,
  CreateBondResponse__Output,
  CreateFailoverInterfaceResponse__Output,
  CreateVlanResponse__Output,
  FilerInterface__Output,
  InterfaceDocument__Output,
  ListInterfacesResponse__Output,
} from './wire-types.js';

interface CreateOptions extends OnlineOptions {
  readonly members: string[];
  readonly instance?: number;
  readonly mtu?: number;
}

interface BondOptions extends CreateOptions {
  readonly mode?: string;
}

interface FailoverOptions extends CreateOptions {
  readonly primary?: string;
}

interface AliasOptions extends OnlineOptions {
  readonly on: string;
  readonly instance?: number;
  readonly mtu?: number;
  readonly routingPolicy?: string;
}

interface VlanOptions extends OnlineOptions {
  readonly mtu?: number;
}

const ALIAS_KINDS: Readonly<Record<string, AliasKind>> = {
  data: 'ALIAS_KIND_DATA',
  mgmt: 'ALIAS_KIND_MGMT',
  san: 'ALIAS_KIND_SAN',
};

function membersOption(): Option {
  return new Option('--members <names>', 'the member interfaces, comma separated')
    .argParser((value: string) => parseList(value))
    .makeOptionMandatory();
}

function instanceOption(prefix: string): Option {
  return new Option(
    '--instance <n>',
    `the instance N of ${prefix}N (default: the lowest no filer of the cluster uses)`,
  ).argParser(parseCount('--instance'));
}

function mtuOption(): Option {
  return new Option('--mtu <bytes>', 'the MTU (default: inherited)').argParser(parseCount('--mtu'));
}

/** The instance oneof of CreateBond, CreateFailoverInterface and CreateAlias. */
function instanceOf(instance: number | undefined): { number: number } | { nextFree: true } {
  return instance === undefined ? { nextFree: true } : { number: instance };
}

function mtuOf(mtu: number | undefined): { mtu?: number } {
  return mtu === undefined ? {} : { mtu };
}

/** `vsnet iface create|delete|list`: bonds, failover interfaces, VLANs and aliases of filers. */
export function registerIfaceCommands(program: Command, io: CliIo): void {
  const iface = verbGroup(
    program,
    'iface',
    'the interface hierarchy of filers: bonds, failover interfaces, VLANs, aliases',
  );
  const create = verbGroup(iface, 'create', 'create a bond, failover interface, VLAN or alias');

  mutatingVerb(
    create
      .command('bond')
      .description('create bond<N> over two or more interfaces of a filer')
      .argument('<filer>', 'the filer')
      .addOption(membersOption())
      .addOption(
        new Option(
          '--mode <mode>',
          '802.3ad (default), balance-rr, balance-xor, balance-tlb, balance-alb or broadcast',
        ),
      )
      .addOption(instanceOption('bond'))
      .addOption(mtuOption()),
    WRITE_FORMATS,
    ['vsnet iface create bond filer1 --members eth1,eth2 --mode 802.3ad'],
  ).action(async (filer: string, options: BondOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<CreateBondResponse__Output>(call, (m, o, cb) =>
        call.client('InterfaceService').createBond(
          {
            filer,
            ...instanceOf(options.instance),
            members: options.members,
            ...(options.mode !== undefined ? { mode: options.mode } : {}),
            ...mtuOf(options.mtu),
          },
          m,
          o,
          cb,
        ),
      ),
    );
    emit(io, options.output, res, () => createdLine(res, 'bond'));
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    create
      .command('failover')
      .description('create fail<N> (active-backup) over two or more interfaces of a filer')
      .argument('<filer>', 'the filer')
      .addOption(membersOption())
      .addOption(new Option('--primary <member>', 'the member preferred while it is up'))
      .addOption(instanceOption('fail'))
      .addOption(mtuOption()),
    WRITE_FORMATS,
    ['vsnet iface create failover filer1 --members bond0.20,bond1.20 --primary bond0.20'],
  ).action(async (filer: string, options: FailoverOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<CreateFailoverInterfaceResponse__Output>(call, (m, o, cb) =>
        call.client('InterfaceService').createFailoverInterface(
          {
            filer,
            ...instanceOf(options.instance),
            members: options.members,
            ...(options.primary !== undefined ? { primary: options.primary } : {}),
            ...mtuOf(options.mtu),
          },
          m,
          o,
          cb,
        ),
      ),
    );
    emit(io, options.output, res, () => createdLine(res, 'failover interface'));
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    create
      .command('vlan')
      .description('create the VLAN <parent>.<tag> on an interface of a filer')
      .argument('<filer>', 'the filer')
      .argument('<parent>', 'the interface the VLAN is stacked on (eth0, bond0, data0, …)')
      .argument('<tag>', 'the VLAN tag, 1–4094 (as the switch has it)', parseCount('tag'))
      .addOption(mtuOption()),
    WRITE_FORMATS,
    ['vsnet iface create vlan filer1 bond0 20'],
  ).action(async (filer: string, parent: string, tag: number, options: VlanOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<CreateVlanResponse__Output>(call, (m, o, cb) =>
        call
          .client('InterfaceService')
          .createVlan({ filer, parent, tag, ...mtuOf(options.mtu) }, m, o, cb),
      ),
    );
    emit(io, options.output, res, () => createdLine(res, 'VLAN'));
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    create
      .command('alias')
      .description('create the alias data<N>, mgmt<N> or san<N> on an interface of a filer')
      .argument('<filer>', 'the filer')
      .argument('<kind>', 'data, mgmt or san', (value: string) => {
        const kind = ALIAS_KINDS[value.toLowerCase()];
        if (kind === undefined) {
          throw new InvalidArgumentError('expected data, mgmt or san');
        }
        return kind;
      })
      .addOption(
        new Option('--on <interface>', 'the interface the alias is built on').makeOptionMandatory(),
      )
      .addOption(instanceOption('data/mgmt/san'))
      .addOption(mtuOption())
      .addOption(
        new Option(
          '--routing-policy <policy>',
          "mgmt/san only: the routing policy of the filer's addresses on it",
        ),
      ),
    WRITE_FORMATS,
    [
      'vsnet iface create alias filer1 data --on bond0',
      'vsnet iface create alias filer2 data --on bond0 --instance 0   # data0 on a second filer',
    ],
  ).action(async (filer: string, kind: AliasKind, options: AliasOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<CreateAliasResponse__Output>(call, (m, o, cb) =>
        call.client('InterfaceService').createAlias(
          {
            filer,
            kind,
            ...instanceOf(options.instance),
            on: options.on,
            ...mtuOf(options.mtu),
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
    emit(io, options.output, res, () => createdLine(res, 'alias'));
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    iface
      .command('delete')
      .description('delete one interface of a filer (nothing may depend on it)')
      .argument('<filer>', 'the filer')
      .argument('<name>', 'the interface'),
    WRITE_FORMATS,
    ['vsnet iface delete filer1 bond1.20'],
  ).action(async (filer: string, name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<{ generation: string }>(call, (m, o, cb) =>
        call.client('InterfaceService').deleteInterface({ filer, name }, m, o, cb),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () => `deleted ${name} from ${filer}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  onlineVerb(
    iface
      .command('list')
      .description('list the interfaces of one filer, or of every filer')
      .argument('[filer]', 'only this filer'),
    READ_FORMATS,
    ['vsnet iface list', 'vsnet iface list filer1 -o yaml'],
  ).action(async (filer: string | undefined, options: OnlineOptions) => {
    const interfaces = await withServer(options, io, (call) => listInterfaces(call, filer ?? ''));
    emit(io, options.output, { interfaces }, (palette) =>
      renderInterfaces(interfaces, palette, filer === undefined),
    );
  });
}

/** Every page of ListInterfaces. */
async function listInterfaces(call: ServerCall, filer: string): Promise<FilerInterface__Output[]> {
  const all: FilerInterface__Output[] = [];
  let pageToken = '';
  do {
    const res = await unary<ListInterfacesResponse__Output>(call, (m, o, cb) =>
      call.client('InterfaceService').listInterfaces({ filer, pageToken }, m, o, cb),
    );
    all.push(...res.interfaces);
    pageToken = res.nextPageToken;
  } while (pageToken !== '');
  return all;
}

type Created = { filer: string; interface: InterfaceDocument__Output | null; generation: string };

/** `created bond0 on filer1 over eth1, eth2 (802.3ad); generation 5`. */
export function createdLine(res: Created, what: string): string {
  const i = res.interface;
  if (i === null) {
    throw new CliError(`vsnet: the server created the ${what} but did not say which one`);
  }
  const detail = interfaceDetail(i);
  return `created ${what} ${i.name} on ${res.filer}${detail !== '' ? ` (${detail})` : ''}; generation ${res.generation}`;
}

/** What an interface is built from, in a few words: `members eth1,eth2 mode 802.3ad`. */
export function interfaceDetail(i: InterfaceDocument__Output): string {
  const parts: string[] = [];
  if (i.mac !== undefined) {
    parts.push(`mac ${i.mac}`);
  }
  if (i.members.length > 0) {
    parts.push(`members ${i.members.join(',')}`);
  }
  if (i.mode !== undefined) {
    parts.push(`mode ${i.mode}`);
  }
  if (i.primary !== undefined) {
    parts.push(`primary ${i.primary}`);
  }
  if (i.on !== undefined) {
    parts.push(`on ${i.on}`);
  }
  if (i.routingPolicy !== undefined) {
    parts.push(`policy ${i.routingPolicy}`);
  }
  return parts.join(' ');
}

const KIND_NAMES: Readonly<Record<string, string>> = {
  INTERFACE_KIND_PHYSICAL: 'physical',
  INTERFACE_KIND_BOND: 'bond',
  INTERFACE_KIND_FAILOVER: 'failover',
  INTERFACE_KIND_VLAN: 'vlan',
  INTERFACE_KIND_ALIAS: 'alias',
};

/** The interfaces as a table; the FILER column only when they may come from several. */
export function renderInterfaces(
  interfaces: readonly FilerInterface__Output[],
  palette: Palette,
  withFiler: boolean,
): string {
  if (interfaces.length === 0) {
    return 'no interfaces';
  }
  const columns = [
    ...(withFiler ? [{ header: 'FILER' }] : []),
    { header: 'NAME', style: palette.cyan },
    { header: 'KIND' },
    { header: 'MTU', align: 'right' as const },
    { header: 'BUILT FROM' },
  ];
  const rows = interfaces.map((fi) => [
    ...(withFiler ? [fi.filer] : []),
    fi.interface?.name ?? '',
    KIND_NAMES[fi.kind] ?? fi.kind,
    fi.effectiveMtu > 0 ? String(fi.effectiveMtu) : '',
    fi.interface !== null ? interfaceDetail(fi.interface) : '',
  ]);
  return renderTable(columns, rows, palette);
}
