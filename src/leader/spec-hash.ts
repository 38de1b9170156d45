import { createHash } from "node:crypto";
import type { PodSpec } from "../shared/domain.js";

/** JSON with object keys sorted, so that equal values always serialize the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** Identifies a pod spec: a node's container whose label differs from its pod's current hash is stale. */
export function specHash(spec: PodSpec): string {
  return contentHash(spec);
}

/** Identifies any JSON value by its content (a deployment's spec, its pod template). */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 16);
}
