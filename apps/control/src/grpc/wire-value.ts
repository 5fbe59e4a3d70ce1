import type { Value } from '../../../../libs/contracts/src/generated/google/protobuf/Value.js';

/**
 * A JSON-shaped value (what the cluster diff reports as `before`/`after`) as a
 * google.protobuf.Value message. `undefined` inside objects is left out, as JSON would.
 */
export function toWireValue(value: unknown): Value {
  if (value === null || value === undefined) {
    return { nullValue: 'NULL_VALUE' };
  }
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'number':
      return { numberValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { stringValue: value.toString() };
    case 'object':
      if (Array.isArray(value)) {
        return { listValue: { values: value.map(toWireValue) } };
      }
      return {
        structValue: {
          fields: Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => [k, toWireValue(v)]),
          ),
        },
      };
    default:
      // Functions and symbols have no JSON form; JSON.stringify drops them too.
      return { nullValue: 'NULL_VALUE' };
  }
}
