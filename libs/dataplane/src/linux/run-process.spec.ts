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

/** Waits until `pid` is gone, checking every 20 ms; false if it is still there after `ms`. */
async function exits(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    if (!running(pid)) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return !running(pid);
}

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

  it('on timeout kills the whole process group (grandchildren too) and settles', async () => {
    // sh forks a grandchild that holds stdout open, as `ip netns exec … ip -batch` and
    // `xargs → sh → arping` do. Without the group kill this would settle only when the
    // grandchild's sleep ends, after the test's own timeout.
    const r = await runProcess('sh', ['-c', 'sleep 60 & echo $!; wait'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await exits(grandchild, 5_000)).toBe(true);
  }, 30_000);
});
