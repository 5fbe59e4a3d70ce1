import { runCli } from './cli.js';
import { NODE_IO } from './node-io.js';

process.exitCode = await runCli(process.argv.slice(2), NODE_IO);
