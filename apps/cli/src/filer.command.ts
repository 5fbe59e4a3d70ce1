import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { mutatingVerb, waitForChange } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import { registerFilerAgentCommands } from './filer-agent.command.js';
import { interfaceDetail } from './iface.command.js';
import {
  emit,
  onlineVerb,
  READ_FORMATS,
  renderFields,
  verbGroup,
  WRITE_FORMATS,
} from './online.js';
import type { OnlineOptions } from './online.js';
import type { Palette } from './output.js';
import { unary, withServer } from './server-client.js';
import type { ServerCall } from './server-client.js';
import { renderTable } from './table.js';
import type {
  FilerDocument__Output,
  GetFilerResponse__Output,
  ListFilersResponse__Output,
  RegisterFilerResponse__Output,
} from './wire-types.js';

/** One `--iface` value. */
export interface PhysicalInterfaceArg {
  readonly name: string;
  readonly mac: string;
  readonly mtu?: number;
}

interface RegisterOptions extends OnlineOptions {
  readonly iface: PhysicalInterfaceArg[];
}

/** `eth0=00:00:5e:00:53:10` or `eth0=00:00:5e:00:53:10,mtu=9000`. */
export function parsePhysicalInterface(value: string): PhysicalInterfaceArg {
  const match = /^([^=,\s]+)=([^,\s]+)(?:,mtu=(\d+))?$/.exec(value.trim());
  if (match === null) {
    throw new InvalidArgumentError(
      'expected NAME=MAC or NAME=MAC,mtu=BYTES, e.g. eth0=00:00:5e:00:53:10',
    );
  }
  const [, name = '', mac = '', mtu] = match;
  return { name, mac, ...(mtu !== undefined ? { mtu: Number(mtu) } : {}) };
}

/** `vsnet filer register|list|show`: the filers and their physical interfaces (FilerService). */
export function registerFilerCommands(program: Command, io: CliIo): void {
  const filer = verbGroup(
    program,
    'filer',
    'the filers of the cluster and their physical interfaces',
  );

  mutatingVerb(
    filer
      .command('register')
      .description('add a filer with its physical interfaces and their burnt-in MACs')
      .argument('<name>', 'the filer name')
      .addOption(
        new Option('--iface <name=mac>', 'a physical interface (repeat for each): eth0=MAC[,mtu=N]')
          .argParser((value: string, previous: PhysicalInterfaceArg[] = []) => [
            ...previous,
            parsePhysicalInterface(value),
          ])
          .makeOptionMandatory(),
      ),
    WRITE_FORMATS,
    [
      'vsnet filer register filer4 --iface eth0=00:00:5e:00:53:40 --iface eth1=00:00:5e:00:53:41,mtu=9000',
    ],
  ).action(async (name: string, options: RegisterOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<RegisterFilerResponse__Output>(call, (m, o, cb) =>
        call.client('FilerService').registerFiler({ name, interfaces: options.iface }, m, o, cb),
      ),
    );
    emit(io, options.output, res, () => {
      const names = (res.filer?.interfaces ?? []).map((i) => i.name);
      return `registered filer ${res.filer?.name ?? name} with ${names.join(', ')}; generation ${res.generation}`;
    });
    await waitForChange(io, options, res.generation);
  });

  onlineVerb(
    filer.command('list').description('list the filers with their interfaces and addresses'),
    READ_FORMATS,
    ['vsnet filer list'],
  ).action(async (options: OnlineOptions) => {
    const filers = await withServer(options, io, listFilers);
    emit(io, options.output, { filers }, (palette) => renderFilers(filers, palette));
  });

  onlineVerb(
    filer
      .command('show')
      .description('show one filer: its interfaces, addresses and the vsvrs it runs')
      .argument('<name>', 'the filer'),
    READ_FORMATS,
    ['vsnet filer show filer1'],
  ).action(async (name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<GetFilerResponse__Output>(call, (m, o, cb) =>
        call.client('FilerService').getFiler({ name }, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) => renderFiler(res, palette));
  });

  registerFilerAgentCommands(filer, io);
}

async function listFilers(call: ServerCall): Promise<FilerDocument__Output[]> {
  const all: FilerDocument__Output[] = [];
  let pageToken = '';
  do {
    const res = await unary<ListFilersResponse__Output>(call, (m, o, cb) =>
      call.client('FilerService').listFilers({ pageToken }, m, o, cb),
    );
    all.push(...res.filers);
    pageToken = res.nextPageToken;
  } while (pageToken !== '');
  return all;
}

const ALIAS = /^(data|mgmt|san)\d+/;

/** NAME, PORTS (physical), ALIASES, ADDRESSES (one line each). */
export function renderFilers(filers: readonly FilerDocument__Output[], palette: Palette): string {
  if (filers.length === 0) {
    return 'no filers';
  }
  return renderTable(
    [
      { header: 'NAME', style: palette.cyan },
      { header: 'PORTS' },
      { header: 'ALIASES' },
      { header: 'ADDRESSES', optional: true },
    ],
    filers.map((f) => [
      f.name,
      f.interfaces
        .filter((i) => i.mac !== undefined)
        .map((i) => i.name)
        .join(' '),
      f.interfaces
        .filter((i) => ALIAS.test(i.name))
        .map((i) => i.name)
        .join(' '),
      f.addresses
        .map((a) => `${a.alias} ${a.address}${a.mode === 'dhcp' ? ' dhcp' : ''}`)
        .join('\n'),
    ]),
    palette,
  );
}

/** `vsnet filer show`: fields, then the interfaces and addresses as tables. */
export function renderFiler(res: GetFilerResponse__Output, palette: Palette): string {
  const f = res.filer;
  const parts = [
    renderFields(
      [
        ['name', f?.name],
        ['runs', res.activeVsvrs.length > 0 ? res.activeVsvrs.join(', ') : '(no vsvr)'],
        ['generation', res.generation],
      ],
      palette,
    ),
  ];
  if (f !== null && f.interfaces.length > 0) {
    parts.push(
      `\n${palette.bold('interfaces:')}\n` +
        renderTable(
          [
            { header: 'NAME', style: palette.cyan },
            { header: 'MTU', align: 'right' },
            { header: 'BUILT FROM' },
          ],
          f.interfaces.map((i) => [
            i.name,
            i.mtu !== undefined ? String(i.mtu) : '',
            interfaceDetail(i),
          ]),
          palette,
          { indent: 2 },
        ).trimEnd(),
    );
  }
  if (f !== null && f.addresses.length > 0) {
    parts.push(
      `\n${palette.bold('addresses:')}\n` +
        renderTable(
          [{ header: 'ALIAS' }, { header: 'ADDRESS' }, { header: 'MODE' }],
          f.addresses.map((a) => [a.alias, a.address, a.mode ?? 'static']),
          palette,
          { indent: 2 },
        ).trimEnd(),
    );
  }
  return parts.join('\n');
}
