import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import type { AgentClient, HealthClient } from '@vsnet/contracts';
import { agentGrpc, healthGrpc, protoRoot } from '@vsnet/contracts';

export const REPO = join(protoRoot(), '..');
export const AGENT_MAIN = join(REPO, 'dist/apps/agent/src/main.js');
/** Upper bound of every wait in these tests: start-up, one call, one stream message. */
export const WAIT_MS = 10_000;

/** A JSON log line of the agent. */
export type LogLine = Record<string, unknown> & { msg: string };

/** An agent started as a child process (`node dist/apps/agent/src/main.js`). */
export class AgentProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  /** Lines of stdout that are not JSON log lines (the agent should print none). */
  readonly badLines: string[] = [];
  private readonly exited: Promise<number | null>;
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = parseLogLine(text);
      if (line === undefined) {
        // A throw here would crash the test worker; the line shows up in the next error instead.
        this.badLines.push(text);
        return;
      }
      this.logs.push(line);
      const matched = this.waiters.filter((w) => w.match(line));
      this.waiters = this.waiters.filter((w) => !matched.includes(w));
      for (const w of matched) {
        w.resolve(line);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts the built agent with the dry-run driver; resolves once it logged its address. */
  static async start(
    env: Record<string, string>,
  ): Promise<{ agent: AgentProcess; address: string }> {
    if (!existsSync(AGENT_MAIN)) {
      throw new Error(`${AGENT_MAIN} does not exist: run npm run build before these tests`);
    }
    const child = spawn(process.execPath, [AGENT_MAIN], {
      env: { PATH: process.env.PATH ?? '', VSNET_AGENT_DRIVER: 'dry-run', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = new AgentProcess(child);
    const listening = await Promise.race([
      agent.waitForLog((l) => l.msg === 'listening'),
      agent.exited.then((code) => {
        throw new Error(
          `the agent exited with ${code} before listening: ${agent.stderr.join('')}${agent.badLinesNote()}`,
        );
      }),
    ]);
    return { agent, address: String(listening.address) };
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (l: LogLine) => boolean): Promise<LogLine> {
    const seen = this.logs.find(match);
    if (seen !== undefined) {
      return Promise.resolve(seen);
    }
    return withTimeout(
      new Promise<LogLine>((resolve) => this.waiters.push({ match, resolve })),
      'the agent to log the expected line',
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}${this.badLinesNote()}`);
    });
  }

  /** The non-JSON stdout lines, for an error message; '' when there are none. */
  badLinesNote(): string {
    return this.badLines.length === 0
      ? ''
      : `; stdout had ${this.badLines.length} line(s) that are not JSON, first: ${JSON.stringify(this.badLines[0])}`;
  }

  /** Sends `signal` and resolves with the exit code. */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.pid, signal);
    }
    return withTimeout(this.exited, `the agent to exit after ${signal}`);
  }

  /** For afterAll: kills the process by pid if it still runs; resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.pid, 'SIGKILL');
    }
    await withTimeout(this.exited, 'the killed agent to exit');
  }
}

/** A JSON log line, or undefined when `text` is not one. */
export function parseLogLine(text: string): LogLine | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && typeof (value as LogLine).msg === 'string'
      ? (value as LogLine)
      : undefined;
  } catch {
    return undefined;
  }
}

export function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Call options with a deadline: every call these tests make has one (STYLE.md 12). */
export function deadline(ms = WAIT_MS): grpc.CallOptions {
  return { deadline: Date.now() + ms };
}

export function agentClient(address: string): AgentClient {
  const { Agent } = agentGrpc();
  return new Agent(address, grpc.credentials.createInsecure());
}

export function healthClient(address: string): HealthClient {
  const { Health } = healthGrpc();
  return new Health(address, grpc.credentials.createInsecure());
}

/** Promisifies a unary call made as `(callback) => client.Method(request, options, callback)`. */
export function unary<T>(
  call: (callback: (err: grpc.ServiceError | null, value?: T) => void) => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    call((err, value) =>
      err ? reject(err) : value === undefined ? reject(new Error('no answer')) : resolve(value),
    ),
  );
}

/** The gRPC error a call failed with. */
export async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}
