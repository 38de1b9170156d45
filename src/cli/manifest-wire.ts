// A manifest as the CLI sends it, apart from its parsers: the quick path sends JSON manifests as they are.
import { MANIFEST_LIMITS } from "../shared/manifest-limits.js";
import { UsageError } from "./resource-ref.js";

/** Whether a manifest's text is JSON rather than YAML: a .json file, or a text that opens as JSON does (`{"` or `[{"`). */
export function looksLikeJson(text: string, source: string): boolean {
  return source.endsWith(".json") || /^\s*(\[\s*)?\{\s*"/.test(text);
}

/** The manifest as the leader takes it: JSON, one resource as itself (the leader's messages then have no index), else a list. */
export function toWire(documents: unknown[]): string {
  const wire = JSON.stringify(documents.length === 1 ? documents[0] : documents);
  const bytes = Buffer.byteLength(wire);
  // Said before sending: gRPC's own refusal of a message too large says nothing of what to do.
  if (bytes > MANIFEST_LIMITS.applyBytes) {
    throw new UsageError(
      `the manifest is ${(bytes / 1024 / 1024).toFixed(1)} MiB as JSON: at most 4 MiB per apply (split it: apply its files one by one, or fewer resources per file)`,
    );
  }
  return wire;
}
