import type { InstanceChoice } from '@vsnet/model';

/**
 * A request's `oneof instance { uint32 number; bool next_free }` as the model's edits take it;
 * neither set, or `next_free: false`, is no choice (the edit refuses it at `instance`).
 */
export function instanceOf(request: {
  readonly instance?: 'number' | 'nextFree';
  readonly number?: number;
  readonly nextFree?: boolean;
}): InstanceChoice {
  if (request.instance === 'number' && request.number !== undefined) {
    return request.number;
  }
  return request.instance === 'nextFree' && request.nextFree === true ? 'next-free' : undefined;
}
