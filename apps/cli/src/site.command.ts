import { Option } from 'commander';
import type { Command } from 'commander';
import { CliError } from './cli-io.js';
import { mutatingVerb, waitForChange } from './change-wait.js';
import type { CliIo } from './cli-io.js';
import {
  collectList,
  emit,
  onlineVerb,
  plural,
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
  CreateSiteResponse__Output,
  DeleteSiteResponse__Output,
  GetSiteResponse__Output,
  ListSitesResponse__Output,
  SiteDocument__Output,
  UpdateSiteResponse__Output,
} from './wire-types.js';

interface SiteOptions extends OnlineOptions {
  readonly subnet?: string[];
}

function subnetOption(): Option {
  return new Option(
    '--subnet <subnets>',
    'a subnet of the site, address/prefix (repeat, or separate with commas)',
  )
    .argParser(collectList)
    .makeOptionMandatory();
}

function siteLine(site: SiteDocument__Output | null, name: string): string {
  return site === null
    ? name
    : `${site.name} (${plural(site.subnets.length, 'subnet')}: ${site.subnets.join(', ')})`;
}

/** `vsnet site create|show|list|update|delete`: named sets of subnets (SiteService). */
export function registerSiteCommands(program: Command, io: CliIo): void {
  const site = verbGroup(
    program,
    'site',
    'sites: named sets of subnets (an address belongs to at most one)',
  );

  mutatingVerb(
    site
      .command('create')
      .description('create a site with its subnets')
      .argument('<name>', 'the site name')
      .addOption(subnetOption()),
    WRITE_FORMATS,
    ['vsnet site create branch --subnet 203.0.113.0/24 --subnet 2001:db8:2::/48'],
  ).action(async (name: string, options: SiteOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<CreateSiteResponse__Output>(call, (m, o, cb) =>
        call
          .client('SiteService')
          .createSite({ site: { name, subnets: options.subnet ?? [] } }, m, o, cb),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () => `created site ${siteLine(res.site, name)}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  onlineVerb(
    site
      .command('show')
      .description('show one site and its subnets')
      .argument('<name>', 'the site'),
    READ_FORMATS,
    ['vsnet site show branch'],
  ).action(async (name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<GetSiteResponse__Output>(call, (m, o, cb) =>
        call.client('SiteService').getSite({ name }, m, o, cb),
      ),
    );
    emit(io, options.output, res, (palette) =>
      renderFields(
        [
          ['name', res.site?.name],
          ['subnets', (res.site?.subnets ?? []).join(', ')],
          ['generation', res.generation],
        ],
        palette,
      ),
    );
  });

  onlineVerb(site.command('list').description('list the sites with their subnets'), READ_FORMATS, [
    'vsnet site list',
  ]).action(async (options: OnlineOptions) => {
    const sites = await withServer(options, io, listSites);
    emit(io, options.output, { sites }, (palette) => renderSites(sites, palette));
  });

  mutatingVerb(
    site
      .command('update')
      .description("replace a site's subnets")
      .argument('<name>', 'the site')
      .addOption(subnetOption()),
    WRITE_FORMATS,
    ['vsnet site update branch --subnet 203.0.113.0/25,2001:db8:2::/48'],
  ).action(async (name: string, options: SiteOptions) => {
    const subnets = options.subnet ?? [];
    if (subnets.length === 0) {
      throw new CliError(
        'vsnet site update: give the subnets with --subnet; a site without subnets is deleted with vsnet site delete',
      );
    }
    const res = await withServer(options, io, (call) =>
      unary<UpdateSiteResponse__Output>(call, (m, o, cb) =>
        call.client('SiteService').updateSite({ site: { name, subnets } }, m, o, cb),
      ),
    );
    emit(
      io,
      options.output,
      res,
      () => `updated site ${siteLine(res.site, name)}; generation ${res.generation}`,
    );
    await waitForChange(io, options, res.generation);
  });

  mutatingVerb(
    site.command('delete').description('delete a site').argument('<name>', 'the site'),
    WRITE_FORMATS,
    ['vsnet site delete branch'],
  ).action(async (name: string, options: OnlineOptions) => {
    const res = await withServer(options, io, (call) =>
      unary<DeleteSiteResponse__Output>(call, (m, o, cb) =>
        call.client('SiteService').deleteSite({ name }, m, o, cb),
      ),
    );
    emit(io, options.output, res, () => `deleted site ${name}; generation ${res.generation}`);
    await waitForChange(io, options, res.generation);
  });
}

async function listSites(call: ServerCall): Promise<SiteDocument__Output[]> {
  const all: SiteDocument__Output[] = [];
  let pageToken = '';
  do {
    const res = await unary<ListSitesResponse__Output>(call, (m, o, cb) =>
      call.client('SiteService').listSites({ pageToken }, m, o, cb),
    );
    all.push(...res.sites);
    pageToken = res.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** NAME, SUBNETS (one line each). */
export function renderSites(sites: readonly SiteDocument__Output[], palette: Palette): string {
  if (sites.length === 0) {
    return 'no sites';
  }
  return renderTable(
    [{ header: 'NAME', style: palette.cyan }, { header: 'SUBNETS' }],
    sites.map((s) => [s.name, s.subnets.join('\n')]),
    palette,
  );
}
