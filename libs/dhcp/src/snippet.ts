/**
 * vsnet's part of a configuration file someone else owns (§6: "copy and paste the resulting
 * text into their server's configuration file"): a block between two marker lines, which a
 * later export replaces in place, leaving every other byte of the file as it was. The markers
 * are `#` comments, which dhcpd.conf, dhclient.conf and Kea's JSON all accept.
 */
export function beginMarker(cluster: string): string {
  return `${beginPrefix(cluster)} — generated, do not edit`;
}

/** A BEGIN line is recognised by this prefix alone: a person may have reworded its comment. */
function beginPrefix(cluster: string): string {
  return `# BEGIN vsnet cluster ${cluster}`;
}

export function endMarker(cluster: string): string {
  return `# END vsnet cluster ${cluster}`;
}

/** `body` (lines ending in `\n`) between the cluster's markers. */
export function wrapBlock(cluster: string, body: string): string {
  return `${beginMarker(cluster)}\n${body}${endMarker(cluster)}\n`;
}

/** A file whose markers are broken, so replacing the block could destroy someone's lines. */
export class SnippetMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnippetMergeError';
  }
}

/** Where the cluster's block is: from the start of its BEGIN line to just after its END line. */
export interface BlockSpan {
  readonly start: number;
  readonly end: number;
}

interface Line {
  readonly start: number;
  /** After the line's `\n`, or the end of the text. */
  readonly end: number;
  readonly text: string;
}

function* lines(text: string): Generator<Line> {
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    yield { start, end, text: text.slice(start, nl < 0 ? end : nl).replace(/\r$/, '') };
    start = end;
  }
}

function isBegin(line: string, cluster: string): boolean {
  const t = line.trim();
  const prefix = beginPrefix(cluster);
  return t === prefix || t.startsWith(`${prefix} `);
}

/**
 * Finds the cluster's block in `text`, or undefined when there is none. Throws when the
 * markers are unbalanced: a BEGIN without its END, an END without a BEGIN, or two blocks.
 */
export function findBlock(
  text: string,
  cluster: string,
  fileName = 'the file',
): BlockSpan | undefined {
  const begin = beginPrefix(cluster);
  const end = endMarker(cluster);
  let open: Line | undefined;
  let number = 0;
  let openNumber = 0;
  let found: BlockSpan | undefined;
  for (const line of lines(text)) {
    number++;
    if (isBegin(line.text, cluster)) {
      if (open !== undefined || found !== undefined) {
        throw new SnippetMergeError(
          `${fileName} has a second "${begin}" on line ${number}; keep one vsnet block per cluster and delete the other`,
        );
      }
      open = line;
      openNumber = number;
    } else if (line.text.trim() === end) {
      if (open === undefined) {
        throw new SnippetMergeError(
          `${fileName} has "${end}" on line ${number} with no BEGIN line before it; restore the BEGIN line or delete the END line`,
        );
      }
      found = { start: open.start, end: line.end };
      open = undefined;
    }
  }
  if (open !== undefined) {
    throw new SnippetMergeError(
      `${fileName} has "${begin}" on line ${openNumber} but no "${end}" after it; restore the END line or delete the partial block`,
    );
  }
  return found;
}

/**
 * Puts `block` (from {@link wrapBlock}) into `existing`: in place of the cluster's block when
 * there is one, otherwise appended at the end. Every byte outside the block is kept.
 */
export function mergeBlock(
  existing: string,
  block: string,
  cluster: string,
  fileName = 'the file',
): string {
  const span = findBlock(existing, cluster, fileName);
  if (span !== undefined) {
    return existing.slice(0, span.start) + block + existing.slice(span.end);
  }
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  return existing + separator + block;
}
