import * as grpc from '@grpc/grpc-js';
import { Option } from 'commander';
import type { Command } from 'commander';
import { NODE_SPEC_OPTIONS } from '@vsnet/dhcp';
import { compileNodeSpec, compileNodeSpecs } from '@vsnet/model';
import type { Cluster, NodeSpec, Placement } from '@vsnet/model';
import { CliError } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { checkCluster } from './checked-cluster.js';
import type { CheckedCluster } from './checked-cluster.js';
import type { ClusterFile } from './cluster-file.js';
import { DOCUMENT_SOURCE_HELP, documentOptions, readDocument } from './cluster-source.js';
import type { DocumentOptions } from './cluster-source.js';
import { outputOption } from './options.js';
import { paletteFor, toJson, toYaml } from './output.js';
import { renderPlan } from './plan.render.js';
import { CREDENTIALS_HELP, isServiceError, unary, withServer } from './server-client.js';
import type { GetFailoverStatusResponse__Output } from './wire-types.js';
import { problemRecord, reportProblemsAside } from './problem-report.js';

const FORMATS = ['table', 'json', 'yaml'] as const;
export interface PlanOptions extends DocumentOptions {
  readonly output: (typeof FORMATS)[number];
  readonly filer?: string;
}

const EXAMPLES = `
The plan is printed even when the document has errors, so placements can be inspected;
the problems then go to standard error and the exit status is 1. With --server or --online the
specs follow where vsvrs run now (after a failover or vsnet vsvr move, as vsnet failover status
shows); a file's vsvrs are all on their home filers.

${DOCUMENT_SOURCE_HELP}

Examples:
  vsnet plan -f cluster.yaml
  vsnet plan -f cluster.yaml --filer Filer2
  vsnet plan -f cluster.yaml -o json > plan.json
  vsnet plan --server control.example:7400 --filer Filer2
  vsnet plan --online -o yaml

${CREDENTIALS_HELP}`;

/** `vsnet plan`: what each filer's agent would receive, and where each vsvr can run. */
export function registerPlanCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  documentOptions(
    program
      .command('plan')
      .description('show the node spec of every filer and where each vsvr can run'),
  )
    .addOption(new Option('--filer <name>', 'show only this filer'))
    .addOption(outputOption(FORMATS))
    .addHelpText('after', EXAMPLES)
    .action(async (options: PlanOptions) => {
      setExitCode(await plan(options, io));
    });
}

/** The plan as `-o json|yaml` prints it; the keys are always in this order. */
export interface PlanRecord {
  readonly filers: readonly NodeSpec[];
  readonly placements: readonly Placement[];
  readonly problems: readonly Record<string, unknown>[];
}

/** Runs `plan` on an already-parsed command line; returns the exit status. */
export async function plan(options: PlanOptions, io: CliIo): Promise<number> {
  const { file, placement } = await readWithPlacement(options, io);
  const checked = checkCluster(file);
  const filer = options.filer === undefined ? undefined : findFiler(checked.cluster, options.filer);
  const { cluster, analysis } = checked;
  const compile = { ...NODE_SPEC_OPTIONS, placement };
  const specs =
    filer === undefined
      ? compileNodeSpecs(cluster, analysis, compile)
      : [compileNodeSpec(cluster, filer, analysis, compile)];
  const placements = placementsInOrder(checked).filter(
    (p) => filer === undefined || p.candidates.includes(filer),
  );
  switch (options.output) {
    case 'json':
      io.stdout.write(toJson(planRecord(checked, specs, placements)));
      break;
    case 'yaml':
      io.stdout.write(toYaml(planRecord(checked, specs, placements)));
      break;
    case 'table':
      io.stdout.write(renderPlan(specs, placements, paletteFor(io.stdout, io.env)));
      break;
  }
  return reportProblemsAside(
    checked,
    'the plan cannot be applied',
    io.stderr,
    paletteFor(io.stderr, io.env),
  );
}

/** Reads of the document and the placements that may disagree (a change between them). */
const PLACEMENT_READS = 3;

/**
 * The document, and with `--server`/`--online` where the stored cluster's vsvrs run now
 * (FailoverService): committed state that is not in the document, which the specs the agents
 * get follow. Both are read again when a change came between them. A file has no placement:
 * every vsvr is on its home filer.
 */
async function readWithPlacement(
  options: PlanOptions,
  io: CliIo,
): Promise<{ file: ClusterFile; placement: ReadonlyMap<string, string> }> {
  for (let attempt = 1; ; attempt++) {
    const file = await readDocument(options, io);
    if (file.stored === undefined) {
      return { file, placement: new Map() };
    }
    const status = await withServer(options, io, async (call) => {
      try {
        return await unary<GetFailoverStatusResponse__Output>(call, (m, o, cb) =>
          call.client('FailoverService').getFailoverStatus({ recent: 1 }, m, o, cb),
        );
      } catch (err) {
        // A control service from before failover: every vsvr is home there.
        if (isServiceError(err) && err.code === grpc.status.UNIMPLEMENTED) {
          return undefined;
        }
        throw err;
      }
    });
    if (
      status === undefined ||
      status.generation === file.stored.generation ||
      attempt >= PLACEMENT_READS
    ) {
      const placed = (status?.vsvrs ?? []).filter((v) => v.filer !== '' && v.filer !== v.home);
      return { file, placement: new Map(placed.map((v) => [v.vsvr.toLowerCase(), v.filer])) };
    }
  }
}

/** Filer names are unique without regard to case (§5.2.1), so `--filer filer2` finds Filer2. */
function findFiler(cluster: Cluster, wanted: string): string {
  const found = cluster.filers.find((f) => f.name.toLowerCase() === wanted.toLowerCase());
  if (found === undefined) {
    const known = cluster.filers.map((f) => f.name).join(', ');
    throw new CliError(
      `vsnet: no filer named "${wanted}" in the document; known filers: ${known === '' ? '(none)' : known}`,
    );
  }
  return found.name;
}

/** Placements in the order the vsvrs are written, then any the analysis knows beyond them. */
function placementsInOrder(checked: CheckedCluster): Placement[] {
  const { placements } = checked.analysis;
  const inDocument = checked.cluster.vsvrs.flatMap((v) => placements.get(v.name) ?? []);
  const rest = [...placements.values()].filter((p) => !inDocument.includes(p));
  return [...inDocument, ...rest];
}

function planRecord(
  checked: CheckedCluster,
  specs: readonly NodeSpec[],
  placements: readonly Placement[],
): PlanRecord {
  return {
    filers: specs,
    placements: placements.map((p) => ({
      vsvr: p.vsvr,
      explicitGroup: p.explicitGroup,
      candidates: [...p.candidates],
      runsOn: [...p.runsOn],
      excluded: p.excluded.map((e) => ({ filer: e.filer, reasons: [...e.reasons] })),
    })),
    problems: checked.problems.map(problemRecord),
  };
}
