/** What happened to the node's spec, for Watch streams (and logs). */
export type AgentEventKind = 'applied' | 'apply-failed' | 'cache-restored';

export interface AgentEvent {
  readonly kind: AgentEventKind;
  readonly generation: bigint;
  readonly specHash: string;
  /** One line for people. */
  readonly message: string;
  readonly at: Date;
}

export type AgentEventListener = (event: AgentEvent) => void;

/** In-process fan-out of agent events to every open Watch stream. */
export class AgentEvents {
  private readonly listeners = new Set<AgentEventListener>();

  /** Starts delivering events to `listener`; the returned function stops it. */
  subscribe(listener: AgentEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: AgentEvent): void {
    for (const listener of this.listeners) {
      listener(event);
    }
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
