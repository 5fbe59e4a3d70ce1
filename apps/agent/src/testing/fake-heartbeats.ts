import type { FenceSignal, ResponderUpdate } from '../heartbeat-responder.js';
import type { Heartbeats, HeartbeatsFactory } from '../heartbeat-thread.js';

/**
 * A heartbeat responder without a thread or a socket: it records what the agent hands it and
 * lets a test raise fence signals. The worker itself is tested from the build
 * (heartbeat-thread.spec.ts) and in the lab.
 */
export class FakeHeartbeats implements Heartbeats {
  readonly updates: ResponderUpdate[] = [];
  private readonly listeners: ((signal: FenceSignal) => void)[] = [];

  constructor(readonly port = 45_454) {}

  /** A factory for `startAgent`'s edges that hands out this fake. */
  readonly factory: HeartbeatsFactory = (_bind, initial) => {
    this.updates.push(initial);
    return Promise.resolve(this);
  };

  update(update: ResponderUpdate): void {
    this.updates.push(update);
  }

  onFence(listener: (signal: FenceSignal) => void): void {
    this.listeners.push(listener);
  }

  /** What the responder would have been told so far, merged. */
  merged(): ResponderUpdate {
    return Object.assign({}, ...this.updates) as ResponderUpdate;
  }

  signal(signal: FenceSignal): void {
    this.listeners.forEach((l) => l(signal));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
