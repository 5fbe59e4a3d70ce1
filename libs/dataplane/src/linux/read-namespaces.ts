import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFailuresByFile } from './batch-program.js';
import { runIpBatch } from './ip-batch.js';
import { splitJsonDocuments } from './ip-json.js';

/** What one namespace's read gave: one JSON document per command, or 'gone' (deleted meanwhile). */
export type NamespaceRead = unknown[] | 'gone';

const GONE = /No such file or directory|Invalid argument/;
/** The outer read gets `timeoutMs` for itself and for every this many namespaces. */
const NAMESPACES_PER_TIMEOUT = 20;

/**
 * Reads many namespaces with one process: the agent's `ip -batch` runs `netns exec NS ip
 * -json -details -force -batch <commands>` for each, in order, and their documents arrive on
 * stdout one after another. A namespace whose `netns exec` failed printed nothing and is
 * 'gone' (or the read fails); any failed command inside a namespace fails the read, since the
 * documents could then no longer be told apart.
 */
export async function readNamespaces(
  namespaces: readonly string[],
  commands: readonly string[],
  timeoutMs: number,
): Promise<Map<string, NamespaceRead>> {
  const reads = new Map<string, NamespaceRead>();
  if (namespaces.length === 0) {
    return reads;
  }
  const dir = await mkdtemp(join(tmpdir(), 'vsnet-ip-read-'));
  try {
    const file = join(dir, 'read.batch');
    await writeFile(file, commands.join('\n') + '\n');
    const outer = await runIpBatch(
      { netns: '' },
      namespaces.map((ns) => `netns exec ${ns} ip -json -details -force -batch ${file}`),
      timeoutMs * (1 + Math.floor(namespaces.length / NAMESPACES_PER_TIMEOUT)),
    );
    const byFile = parseFailuresByFile(outer.result.stderr);
    const inner = byFile.get(file);
    if (outer.fatal !== undefined || inner !== undefined) {
      throw new Error(
        outer.fatal ?? `reading ${commands.join(', ')}: ${[...(inner?.values() ?? [])].join('; ')}`,
      );
    }
    const failed = byFile.get('-') ?? new Map<number, string>();
    const docs = splitJsonDocuments(outer.result.stdout);
    let next = 0;
    namespaces.forEach((ns, i) => {
      const error = failed.get(i + 1);
      if (error === undefined) {
        reads.set(ns, docs.slice(next, next + commands.length));
        next += commands.length;
      } else if (GONE.test(error)) {
        reads.set(ns, 'gone');
      } else {
        throw new Error(`reading ${ns}: ${error}`);
      }
    });
    if (next !== docs.length) {
      throw new Error(
        `reading ${namespaces.length} namespaces gave ${docs.length} documents, not ${next}: the namespaces changed during the read; the next apply reads them again`,
      );
    }
    return reads;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
