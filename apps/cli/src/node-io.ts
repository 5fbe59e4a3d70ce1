import { readFile } from 'node:fs/promises';
import type { CliIo, CliStream } from './cli-io.js';

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A process stream as the CLI sees it. A reader that closed the pipe (`vsnet plan | head`)
 * wants no more output: writing stops quietly instead of crashing on EPIPE.
 */
function outputStream(stream: NodeJS.WriteStream): CliStream {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') {
      throw err;
    }
    closed = true;
  });
  return {
    isTTY: stream.isTTY,
    write: (s) => {
      if (!closed) {
        stream.write(s);
      }
    },
  };
}

/** The real process: its streams, its file system and its environment. */
export const NODE_IO: CliIo = {
  stdout: outputStream(process.stdout),
  stderr: outputStream(process.stderr),
  readFile: (path) => readFile(path, 'utf8'),
  readStdin: readAllStdin,
  env: process.env,
};
