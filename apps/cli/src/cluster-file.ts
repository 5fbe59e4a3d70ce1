import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { Path } from '@vsnet/model';
import { CliError } from './cli-io.js';
import type { CliIo } from './cli-io.js';

/** 1-based line and column in the source text, as editors count them. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** The cluster the control service stores, as `--server`/`--online` read it. */
export interface StoredCluster {
  /** The control service's address (HOST:PORT). */
  readonly server: string;
  /** The generation Export read the cluster at (a decimal string, as the wire gives it). */
  readonly generation: string;
}

/** A cluster document read and parsed, still able to say where each part of it was written. */
export interface ClusterFile {
  /** What to call the source in messages: the path as given, `<stdin>`, or `(server, generation N)`. */
  readonly name: string;
  /** The document as plain data (YAML and JSON alike), before the model decodes it. */
  readonly data: unknown;
  /** Where `path` was written; the nearest enclosing node that exists when it was not. */
  locate(path: Path): SourcePosition;
  /**
   * Set when the document is the control service's, not a file. It was rendered as
   * `vsnet export` prints it, so `locate` still orders problems, but the person has no
   * text to look at: problems are shown at their document path alone.
   */
  readonly stored?: StoredCluster;
}

export const STDIN_NAME = '<stdin>';

const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file (check the path, or pass -f - to read standard input)',
  EACCES: 'permission denied (check the file permissions)',
  EPERM: 'permission denied (check the file permissions)',
  EISDIR: 'it is a directory (pass the path of a cluster document file)',
};

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readSource(file: string, io: CliIo): Promise<string> {
  try {
    return file === '-' ? await io.readStdin() : await io.readFile(file);
  } catch (err) {
    const what = file === '-' ? 'standard input' : file;
    const code = errorCode(err);
    const why = (code === undefined ? undefined : READ_FAILURES[code]) ?? errorMessage(err);
    throw new CliError(`vsnet: cannot read ${what}: ${why}`);
  }
}

/** yaml's messages end with ` at line L, column C:` and a code frame; we print our own prefix. */
function firstLineOf(message: string): string {
  const first = message.split('\n', 1)[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** Reads and parses a cluster document, or throws a one-line {@link CliError}. */
export async function readClusterFile(file: string, io: CliIo): Promise<ClusterFile> {
  const name = file === '-' ? STDIN_NAME : file;
  const text = await readSource(file, io);
  return parseClusterText(name, text);
}

/** Parses YAML or JSON text (JSON is YAML 1.2, so one parser serves both). */
export function parseClusterText(name: string, text: string): ClusterFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    const at = lineCounter.linePos(syntax.pos[0]);
    throw new CliError(
      `vsnet: ${name}:${at.line}:${at.col}: YAML syntax error: ${firstLineOf(syntax.message)}; ` +
        'fix the document there and run again',
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // Unresolved or excessive aliases are only found while converting to plain data.
    throw new CliError(`vsnet: ${name}: cannot read the document: ${errorMessage(err)}`);
  }
  return {
    name,
    data,
    locate: (path) => {
      const offset = offsetOf(doc, path);
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, column: pos.col };
    },
  };
}

function resolved(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function startOf(node: YamlNode | null | undefined): number | undefined {
  return node?.range?.[0];
}

/**
 * Walks `path` down the YAML tree and returns the source offset of what it names. A field
 * whose value is a scalar points at the value (`address: 10.2.2.3` → the address); one
 * whose value is a collection points at its key, since that is the line a person reads.
 * An empty value points at its key. When a step does not exist (a missing field), the
 * walk stops at the last node found.
 */
function offsetOf(doc: Document, path: Path): number {
  let node: unknown = resolved(doc, doc.contents);
  let offset = startOf(doc.contents) ?? 0;
  for (const part of path) {
    if (typeof part === 'number' && isSeq(node)) {
      const item = node.items[part];
      if (item === undefined) {
        break;
      }
      offset = startOf(item as YamlNode) ?? offset;
      node = resolved(doc, item);
    } else if (typeof part === 'string' && isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === part,
      );
      if (pair === undefined) {
        break;
      }
      const value = resolved(doc, pair.value);
      const keyStart = isScalar(pair.key) ? startOf(pair.key) : undefined;
      // An empty value (`address:` and nothing) has a zero-length range: point at its key.
      const range = isScalar(value) ? value.range : undefined;
      const written = range !== undefined && range !== null && range[0] < range[1];
      const valueStart =
        written || isAlias(pair.value) ? startOf(pair.value as YamlNode) : undefined;
      offset = valueStart ?? keyStart ?? offset;
      node = value;
    } else {
      break;
    }
  }
  return offset;
}
