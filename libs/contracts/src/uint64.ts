/**
 * uint64 fields arrive as decimal strings (PROTO_LOADER_OPTIONS.longs = String) and are held as
 * bigint: generations, epochs and counters stay exact past 2^53.
 */
export function uint64FromWire(value: string): bigint {
  return BigInt(value === '' ? '0' : value);
}

/** A bigint (or a safe integer) as the decimal string the wire carries. */
export function uint64ToWire(value: bigint | number): string {
  return typeof value === 'bigint' ? value.toString() : String(Math.trunc(value));
}
