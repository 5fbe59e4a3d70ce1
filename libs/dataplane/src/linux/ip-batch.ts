import { runProcess, type ProcessResult } from './run-process.js';

export interface IpTarget {
  /** Network namespace for `ip -n`; '' runs in the agent's own. */
  readonly netns: string;
  /** `ip -6`: `ip rule` needs it for IPv6 selectors, and it cannot be given per batch line. */
  readonly ipv6?: boolean;
  /** `ip -json -details`, for reads. */
  readonly json?: boolean;
}

export interface BatchOutcome {
  /** Errors by batch line (1-based), as `ip -force -batch` reports them. */
  readonly failures: ReadonlyMap<number, string>;
  /** Set when the whole batch failed (namespace missing, timeout): no line can be trusted. */
  readonly fatal?: string;
  readonly result: ProcessResult;
}

export function ipArgs(target: IpTarget, rest: readonly string[]): string[] {
  return [
    ...(target.netns !== '' ? ['-n', target.netns] : []),
    ...(target.ipv6 ? ['-6'] : []),
    ...(target.json ? ['-json', '-details'] : []),
    ...rest,
  ];
}

/**
 * One `ip [-n NS] -force -batch -` process for all `lines`. With `-force` ip carries on after
 * a failed line and prints the error, then `Command failed -:<line>`; those messages are
 * mapped back to lines here.
 */
export async function runIpBatch(
  target: IpTarget,
  lines: readonly string[],
  timeoutMs: number,
): Promise<BatchOutcome> {
  const result = await runProcess('ip', ipArgs(target, ['-force', '-batch', '-']), {
    input: lines.join('\n') + '\n',
    timeoutMs,
  });
  const failures = parseBatchFailures(result.stderr);
  const fatal = result.timedOut
    ? `ip timed out after ${timeoutMs} ms: raise VSNET_AGENT_COMMAND_TIMEOUT_MS, or check for a hung netlink`
    : (result.spawnError ??
      (result.code !== 0 && failures.size === 0
        ? result.stderr.trim() || `ip exited with ${String(result.code)}`
        : undefined));
  return { failures, result, ...(fatal !== undefined ? { fatal } : {}) };
}

/**
 * `ip -force -batch` stderr → error message by line: each failed line's messages come first,
 * then `Command failed <file>:<line>`.
 */
export function parseBatchFailures(stderr: string): Map<number, string> {
  const failures = new Map<number, string>();
  let pending: string[] = [];
  for (const line of stderr.split('\n')) {
    const failed = /^Command failed .*:(\d+)$/.exec(line.trim());
    if (failed) {
      failures.set(Number(failed[1]), pending.join(' ').trim() || 'failed');
      pending = [];
    } else if (line.trim() !== '') {
      pending.push(line.trim());
    }
  }
  return failures;
}
