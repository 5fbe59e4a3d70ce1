// The README's main job for now: validate the requirements' own example cluster (it has a real
// problem, which vsnet reports), then show the plan: each filer's spec and where each vsvr runs.
// Exits non-zero only if vsnet itself failed (exit status 2 or a crash), not for the problem it finds.
import { spawnSync } from 'node:child_process';

const SEED = 'deploy/examples/seed-cluster.yaml';
const steps = [
  ['validate', '-f', SEED],
  ['plan', '-f', SEED],
  ['addresses', '-f', SEED],
];
let failed = false;
for (const args of steps) {
  process.stdout.write(`\n$ vsnet ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['bin/vsnet', ...args], {
    stdio: 'inherit',
    timeout: 60_000,
  });
  const status = r.status ?? 2;
  if (status === 1) {
    process.stdout.write('(exit status 1: the document has the problems listed above)\n');
  }
  failed ||= status > 1;
}
process.exit(failed ? 1 : 0);
