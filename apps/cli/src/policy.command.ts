import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { CliError } from './cli-io.js';
import { mutatingVerb, waitForChange } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import {
  emit,
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
import type { ServerCall } from './server-client.js';
import { renderTable } from './table.js';
import type {
  AddVsvrRouteResponse__Output,
  CreateRoutingPolicyResponse__Output,
  DeleteRoutingPolicyResponse__Output,
  GetRoutingPolicyResponse__Output,
  ListRoutingPoliciesResponse__Output,
  ListVsvrRoutesResponse__Output,
  RemoveVsvrRouteResponse__Output,
  ResolvedRoute__Output,
  RouteDocument,
  RouteDocument__Output,
  RoutingPolicyDocument__Output,
  SetDefaultRoutingPolicyResponse__Output,
  UpdateRoutingPolicyResponse__Output,
} from './wire-types.js';

/** A route as written on the command line and printed: `default via 192.0.2.1 alias data0 metric 10`. */
export function routeText(r: RouteDocument__Output | RouteDocument): string {
  return [
    r.to ?? '',
    ...(r.via !== undefined ? ['via', r.via] : []),
    ...(r.alias !== undefined ? ['alias', r.alias] : []),
    ...(r.metric !== undefined ? ['metric', String(r.metric)] : []),
  ].join(' ');
}

const ROUTE_SYNTAX =
  "expected 'TO [via GATEWAY] [alias ALIAS] [metric N]', e.g. 'default via 192.0.2.1'";

/** `TO [via GW] [alias A] [metric N]` (as `ip route` writes it) as a RouteDocument. */
export function parseRoute(text: string): RouteDocument {
  const [to, ...rest] = text.trim().split(/\s+/);
  if (to === undefined || to === '' || rest.length % 2 !== 0) {
    throw new InvalidArgumentError(ROUTE_SYNTAX);
  }
  const route: { to: string; via?: string; alias?: string; metric?: number } = { to };
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i];
    const value = rest[i + 1] ?? '';
    if ((key !== 'via' && key !== 'alias' && key !== 'metric') || key in route) {
      throw new InvalidArgumentError(ROUTE_SYNTAX);
    }
    if (key === 'metric') {
      if (!/^\d+$/.test(value)) {
        throw new InvalidArgumentError(`metric ${value}: expected a whole number`);
      }
      route.metric = Number(value);
    } else {
      route[key] = value;
    }
  }
  return route;
}

/** The route as a request carries it (without proto-loader's oneof markers). */
function routeToWire(r: RouteDocument__Output | RouteDocument): RouteDocument {
  return {
    to: r.to ?? '',
    ...(r.via !== undefined ? { via: r.via } : {}),
    ...(r.alias !== undefined ? { alias: r.alias } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
  };
}

function routeOption(): Option {
  return new Option(
    '--route <route>',
    "a route, 'TO [via GATEWAY] [alias ALIAS] [metric N]' (repeat for each)",
  ).argParser((value: string, previous: RouteDocument[] = []) => [...previous, parseRoute(value)]);
}

interface PolicyOptions extends OnlineOptions {
  readonly extends?: string | false;
  readonly route?: RouteDocument[];
  readonly routes?: boolean;
}

interface SetDefaultOptions extends OnlineOptions {
  readonly none?: boolean;
}

interface RouteOptions extends OnlineOptions {
  readonly via?: string;
  readonly alias?: string;
  readonly metric?: number;
}

/** `vsnet policy …` and `vsnet route …`: routing policies and the routes of vsvrs (RoutingService). */
export function registerRoutingCommands(program: Command, io: CliIo): void {
  const policy = verbGroup(
    program,
    'policy',
    'routing policies: named, shareable, inheritable sets of routes',
  );

  mutatingVerb(
    policy
      .command('create')
      .description('create a routing policy')
      .argument('<name>', 'the policy name')
      .addOption(new Option('--extends <policy>', 'the policy it inherits routes from'))
      .addOption(routeOption()),
    WRITE_FORMATS,
    [
      "vsnet policy create office --extends cluster-default --route '203.0.113.0/24 via 198.51.100.1'",
    ],
  ).action(async (name: string, options: PolicyOptions) => {
    const document = {
      name,
      ...(typeof options.extends === 'string' ? { extends: options.extends } : {}),
      routes: options.route ?? [],
    };
    const res = await withServer(options, io, (call) =>
      unary<CreateRoutingPolicyResponse__Output>(call, (m, o, cb) =>
        call.client('RoutingService').createRoutingPolicy({ policy: document }, m, o, cb),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () => `created routing policy ${policyLine(res.policy, name)}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  onlineVerb(
    policy
      .command('show')
      .description('show a routing policy, the routes it resolves to, and what uses it')
      .argument('<name>', 'the policy'),
    READ_FORMATS,
    ['vsnet policy show office'],
  ).action(async (name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) => getPolicy(call, name));
    emit(io, options.output, res, (palette) => renderPolicy(res, palette));
  });

  onlineVerb(
    policy.command('list').description('list the routing policies with their own routes'),
    READ_FORMATS,
    ['vsnet policy list'],
  ).action(async (options: OnlineOptions) => {
    const policies = await withServer(options, io, listPolicies);
    emit(io, options.output, { policies }, (palette) => renderPolicies(policies, palette));
  });

  mutatingVerb(
    policy
      .command('update')
      .description(
        "change a routing policy's parent or replace its routes (what is not given stays)",
      )
      .argument('<name>', 'the policy')
      .addOption(new Option('--extends <policy>', 'inherit routes from this policy'))
      .addOption(new Option('--no-extends', 'inherit from no policy'))
      .addOption(routeOption())
      .addOption(new Option('--no-routes', 'remove every route of its own')),
    WRITE_FORMATS,
    [
      "vsnet policy update office --route 'default via 198.51.100.1' --route '203.0.113.0/24 via 198.51.100.254'",
      'vsnet policy update office --no-extends',
    ],
  ).action(async (name: string, options: PolicyOptions) => {
    if (options.route !== undefined && options.routes === false) {
      throw new CliError('vsnet policy update: give --route or --no-routes, not both');
    }
    const res = await withServer(options, io, async (call) => {
      // Update replaces the whole policy: start from what is stored so unnamed parts stay.
      const current = (await getPolicy(call, name)).policy;
      const keptExtends = options.extends === undefined ? current?.extends : options.extends;
      const routes =
        options.routes === false ? [] : (options.route ?? (current?.routes ?? []).map(routeToWire));
      const document = {
        name,
        ...(typeof keptExtends === 'string' ? { extends: keptExtends } : {}),
        routes,
      };
      return unary<UpdateRoutingPolicyResponse__Output>(call, (m, o, cb) =>
        call.client('RoutingService').updateRoutingPolicy({ policy: document }, m, o, cb),
      );
    });
    emit(
      io,
      options.output,
      res,
      () => `updated routing policy ${policyLine(res.policy, name)}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    policy
      .command('delete')
      .description('delete a routing policy nothing uses')
      .argument('<name>', 'the policy'),
    WRITE_FORMATS,
    ['vsnet policy delete office'],
  ).action(async (name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<DeleteRoutingPolicyResponse__Output>(call, (m, o, cb) =>
        call.client('RoutingService').deleteRoutingPolicy({ name }, m, o, cb),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () => `deleted routing policy ${name}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    policy
      .command('set-default')
      .description("set the cluster's default routing policy (of every vsvr that names none)")
      .argument('[policy]', 'the policy')
      .addOption(new Option('--none', 'no cluster default')),
    WRITE_FORMATS,
    ['vsnet policy set-default cluster-default', 'vsnet policy set-default --none'],
  ).action(async (name: string | undefined, options: SetDefaultOptions) => {
    if ((name === undefined) === (options.none !== true)) {
      throw new CliError(
        'vsnet policy set-default: give either a policy or --none, not both or neither',
      );
    }
    const res = await withServer(options, io, (call) =>
      unary<SetDefaultRoutingPolicyResponse__Output>(call, (m, o, cb) =>
        call
          .client('RoutingService')
          .setDefaultRoutingPolicy(name !== undefined ? { policy: name } : {}, m, o, cb),
      ),
    );
    emit(io, options.output, res, () =>
      name !== undefined
        ? `set the cluster's default routing policy to ${name}; generation ${res.generation}`
        : `cleared the cluster's default routing policy; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  const route = verbGroup(program, 'route', "the routes of a vsvr's own");

  mutatingVerb(
    route
      .command('add')
      .description(
        "add a route of a vsvr's own (it overrides its policies' routes to the same destination)",
      )
      .argument('<vsvr>', 'the vsvr')
      .argument('<to>', 'the destination, address/prefix or default')
      .addOption(new Option('--via <gateway>', 'the gateway'))
      .addOption(
        new Option(
          '--alias <alias>',
          'leave through this alias (default: the one whose subnet holds the gateway)',
        ),
      )
      .addOption(new Option('--metric <n>', 'the metric').argParser(parseCount('--metric'))),
    WRITE_FORMATS,
    ['vsnet route add sales 203.0.113.0/24 --via 198.51.100.1'],
  ).action(async (vsvr: string, to: string, options: RouteOptions) => {
    const wanted = routeToWire({
      to,
      via: options.via,
      alias: options.alias,
      metric: options.metric,
    });
    const res = await withServer(options, io, (call) =>
      unary<AddVsvrRouteResponse__Output>(call, (m, o, cb) =>
        call.client('RoutingService').addVsvrRoute({ vsvr, route: wanted }, m, o, cb),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () => `added route ${routeText(wanted)} to ${vsvr}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    route
      .command('remove')
      .description("remove a route of a vsvr's own, named by its destination (and gateway)")
      .argument('<vsvr>', 'the vsvr')
      .argument('<to>', 'the destination, address/prefix or default')
      .addOption(new Option('--via <gateway>', 'the gateway (when several routes go to <to>)')),
    WRITE_FORMATS,
    ['vsnet route remove sales 203.0.113.0/24 --via 198.51.100.1'],
  ).action(async (vsvr: string, to: string, options: RouteOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<RemoveVsvrRouteResponse__Output>(call, (m, o, cb) =>
        call
          .client('RoutingService')
          .removeVsvrRoute(
            { vsvr, to, ...(options.via !== undefined ? { via: options.via } : {}) },
            m,
            o,
            cb,
          ),
      ),
    );
    emit(io, options.output, res, () => {
      const removed =
        res.removed !== null ? routeText(res.removed) : routeText({ to, via: options.via });
      return `removed route ${removed} from ${vsvr}; generation ${res.generation}`;
    });
    await waitForChange(io, options, res.generation);
  });

  onlineVerb(
    route
      .command('list')
      .description(
        "list a vsvr's routes: the effective ones after policies, and where each comes from",
      )
      .argument('<vsvr>', 'the vsvr'),
    READ_FORMATS,
    ['vsnet route list sales'],
  ).action(async (vsvr: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<ListVsvrRoutesResponse__Output>(call, (m, o, cb) =>
        call.client('RoutingService').listVsvrRoutes({ vsvr }, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) =>
      res.effective.length === 0 ? `${vsvr} has no routes` : renderResolved(res.effective, palette),
    );
  });
}

function policyLine(p: RoutingPolicyDocument__Output | null, name: string): string {
  if (p === null) {
    return name;
  }
  const parent = p.extends !== undefined ? `, extends ${p.extends}` : '';
  return `${p.name} (${p.routes.length} route${p.routes.length === 1 ? '' : 's'}${parent})`;
}

function getPolicy(call: ServerCall, name: string): Promise<GetRoutingPolicyResponse__Output> {
  return unary<GetRoutingPolicyResponse__Output>(call, (m, o, cb) =>
    call.client('RoutingService').getRoutingPolicy({ name }, m, o, cb),
  );
}

async function listPolicies(call: ServerCall): Promise<RoutingPolicyDocument__Output[]> {
  const all: RoutingPolicyDocument__Output[] = [];
  let pageToken = '';
  do {
    const res = await unary<ListRoutingPoliciesResponse__Output>(call, (m, o, cb) =>
      call.client('RoutingService').listRoutingPolicies({ pageToken }, m, o, cb),
    );
    all.push(...res.policies);
    pageToken = res.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** ROUTE, VIA, ALIAS, METRIC, FROM. */
export function renderResolved(
  routes: readonly ResolvedRoute__Output[],
  palette: Palette,
  indent = 0,
): string {
  return renderTable(
    [
      { header: 'TO', style: palette.cyan },
      { header: 'VIA', optional: true },
      { header: 'ALIAS', optional: true },
      { header: 'METRIC', align: 'right', optional: true },
      { header: 'FROM' },
    ],
    routes.map((r) => [
      r.route?.to ?? '',
      r.route?.via ?? '',
      r.route?.alias ?? '',
      r.route?.metric !== undefined ? String(r.route.metric) : '',
      r.from,
    ]),
    palette,
    { indent },
  );
}

/** NAME, EXTENDS, ROUTES (one line each). */
export function renderPolicies(
  policies: readonly RoutingPolicyDocument__Output[],
  palette: Palette,
): string {
  if (policies.length === 0) {
    return 'no routing policies';
  }
  return renderTable(
    [
      { header: 'NAME', style: palette.cyan },
      { header: 'EXTENDS', optional: true },
      { header: 'ROUTES' },
    ],
    policies.map((p) => [p.name, p.extends ?? '', p.routes.map(routeText).join('\n')]),
    palette,
  );
}

/** `vsnet policy show`: fields, then the resolved routes. */
export function renderPolicy(res: GetRoutingPolicyResponse__Output, palette: Palette): string {
  const p = res.policy;
  const fields = renderFields(
    [
      ['name', p?.name],
      ['extends', p?.extends ?? '(nothing)'],
      ['used by', res.usedBy.length > 0 ? res.usedBy.join(', ') : '(nothing)'],
      ['generation', res.generation],
    ],
    palette,
  );
  const routes =
    res.resolved.length === 0
      ? `\n${palette.bold('routes:')} none`
      : `\n${palette.bold('routes:')}\n${renderResolved(res.resolved, palette, 2).trimEnd()}`;
  return `${fields}\n${routes}`;
}
