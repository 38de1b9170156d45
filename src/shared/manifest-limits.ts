// Apart from the schema (and zod), so that the CLI knows its limits without loading the parsers.

/** The largest message any Cube server or client accepts (grpc-js's default, stated so that every side agrees). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Limits of what one apply may hold, stated here and in the README. A resource stays far below what a gRPC message
 * carries (4 MiB), as Kubernetes keeps objects under ~1.5 MB; the bounds on lists keep an absurd pod from reaching
 * Docker at all.
 */
export const MANIFEST_LIMITS = {
  resourcesPerApply: 10_000,
  resourceBytes: 1024 * 1024,
  /** A secret's or config's values, decoded. */
  keyedDataBytes: 1024 * 1024,
  /** A secret or config as JSON: its values (base64 takes 4 bytes for 3) and room for the rest. */
  keyedResourceBytes: 1536 * 1024,
  containersPerPod: 100,
  /** Entries of a container's env, command or args. */
  listEntries: 1024,
  /** The manifest's text: what one request to the leader carries (4 MiB), less room for the request around it. */
  applyBytes: MAX_MESSAGE_BYTES - 16 * 1024,
  /** A deployment's replicas, applied or scaled. */
  replicas: 1000,
};
