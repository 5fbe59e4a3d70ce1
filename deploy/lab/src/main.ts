import { parseArgs } from 'node:util';
import { Lab, labNamespaces, removeStale } from './lab.js';
import { standardLab } from './standard-lab.js';

const USAGE = `usage: node dist/deploy/lab/src/main.js up --filers N [--prefix vlab]
       node dist/deploy/lab/src/main.js down [--prefix vlab]
       node dist/deploy/lab/src/main.js list [--prefix vlab]`;

/** The lab for people: build the standard lab, list it, or remove it (and what agents made). */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      filers: { type: 'string', default: '3' },
      prefix: { type: 'string', default: 'vlab' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [verb, ...rest] = positionals;
  if (values.help || verb === undefined || rest.length > 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  switch (verb) {
    case 'up': {
      const lab = await Lab.build(standardLab(values.prefix, Number(values.filers)));
      process.stdout.write(`built lab ${lab.prefix} in ${lab.buildMs.toFixed(0)} ms:\n`);
      for (const ns of await labNamespaces(lab.prefix)) {
        process.stdout.write(`  ${ns}\n`);
      }
      const f1 = lab.filerNamespace('filer1');
      const client = lab.clientNamespace('cdata0');
      process.stdout.write(
        `try:    ip -n ${f1} addr add 198.18.10.1/24 dev eth1 && ip netns exec ${client} ping -c1 198.18.10.1\n` +
          `remove: node dist/deploy/lab/src/main.js down --prefix ${lab.prefix}\n`,
      );
      return 0;
    }
    case 'down': {
      const report = await removeStale(values.prefix);
      process.stdout.write(`removed ${report.removed.length} namespaces of lab ${values.prefix}\n`);
      if (report.strayPids.length > 0) {
        process.stdout.write(
          `processes still running in them (stop them by pid): ${report.strayPids.join(' ')}\n`,
        );
      }
      return 0;
    }
    case 'list': {
      for (const ns of await labNamespaces(values.prefix)) {
        process.stdout.write(`${ns}\n`);
      }
      return 0;
    }
    default:
      process.stderr.write(`unknown command "${verb}"\n${USAGE}\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
