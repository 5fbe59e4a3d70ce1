import type { Options } from '@grpc/proto-loader';

/**
 * How every vsnet process loads the protos. Field names are camelCase on the JS side (the
 * model's names: `aliasRoutes`, `specVersion`), 64-bit integers are decimal strings (exact;
 * convert with BigInt), enums are their names, and absent fields come out as their defaults.
 * scripts/gen-proto.mjs passes the same choices to proto-loader-gen-types, so the generated
 * `__Output` types describe exactly what the loader hands out: change both together.
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};
