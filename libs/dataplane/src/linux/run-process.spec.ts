import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { runProcess } from './run-process.js';

/** Whether a process still runs (a zombie waiting for its reaper does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0) !== 'Z';
  } catch {
    return false;
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runProcess', () => {
  it('passes input on stdin and returns stdout, stderr and the exit code', async () => {
    const r = await runProcess('sh', ['-c', 'cat; echo oops >&2; exit 3'], {
      input: 'hello\n',
      timeoutMs: 5_000,
    });
    expect(r).toEqual({ code: 3, stdout: 'hello\n', stderr: 'oops\n', timedOut: false });
  });

  it('reports a program that cannot run as a spawn error', async () => {
    const r = await runProcess('/nonexistent/vsnet-no-such-program', [], { timeoutMs: 5_000 });
    expect(r.code).toBeNull();
    expect(r.timedOut).toBe(false);
    expect(r.spawnError).toMatch(/ENOENT/);
  });

  it('on timeout kills the whole process group (grandchildren too) and settles at once', async () => {
    const started = Date.now();
    // sh forks a grandchild that holds stdout open, as `ip netns exec … ip -batch` and
    // `xargs → sh → arping` do.
    const r = await runProcess('sh', ['-c', 'sleep 20 & echo $!; wait'], { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await pause(200);
    expect(running(grandchild)).toBe(false);
  }, 30_000);
});
