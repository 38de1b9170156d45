import type { z } from "zod";
import { RESOURCE_TYPES, type Resource } from "./domain.js";
import { MANIFEST_LIMITS } from "./manifest-limits.js";
import { schemas } from "./manifest-schema.js";
import { runAtOnce, runInSlices } from "./time-slices.js";

export { deploymentSchema } from "./manifest-schema.js";

/** A validated resource (defaults applied), with the resource exactly as the manifest wrote it. */
export interface ManifestEntry {
  resource: Resource;
  source: unknown;
}

export type ManifestResult = { ok: true; entries: ManifestEntry[] } | { ok: false; problems: string[] };

/** The path of the first "__proto__" key in a parsed JSON value: zod drops such keys without a word (they would set a prototype). */
function prototypeKeyPath(value: unknown, path: PropertyKey[] = []): PropertyKey[] | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (!Array.isArray(value) && Object.hasOwn(value, "__proto__")) return [...path, "__proto__"];
  for (const [key, inner] of Object.entries(value)) {
    const found = prototypeKeyPath(inner, [...path, Array.isArray(value) ? Number(key) : key]);
    if (found) return found;
  }
  return undefined;
}

/** "[1].spec.containers[0].image": numbers as indexes, keys joined with dots. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === "number" ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`)).join("");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.input === undefined) return "required";
  if (issue.code === "unrecognized_keys") return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  // zod's own words for bounds ("Too small: expected number to be >=1") read better as "must be at least 1".
  if (issue.code === "too_small" && issue.message.startsWith("Too small"))
    return `must be ${issue.inclusive === false ? "more than" : "at least"} ${issue.minimum}`;
  if (issue.code === "too_big" && issue.message.startsWith("Too big")) return `must be ${issue.inclusive === false ? "less than" : "at most"} ${issue.maximum}`;
  if (issue.code === "invalid_key") return issue.issues.map((inner) => inner.message).join("; ");
  // Kubernetes writes env as a list of {name, value}: Cube's is a map.
  if (issue.code === "invalid_type" && issue.expected === "record" && issue.path.at(-1) === "env" && Array.isArray(issue.input))
    return "must be a map of NAME: value (Kubernetes' list of {name, value} is written {NAME: value} here)";
  if (issue.code === "invalid_type")
    return `must be ${issue.expected === "record" ? "an object" : issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
  return issue.message;
}

/**
 * Validates a whole manifest: a JSON list of resources, or one resource. Every problem is reported, each with its
 * path; the resources come back (with defaults) only when there is none, so a caller applies all or nothing.
 */
export function validateManifest(document: unknown): ManifestResult {
  return runAtOnce(validating(document));
}

/** `validateManifest`, pausing between resources for other requests (on the leader). */
export function validateManifestInSlices(document: unknown): Promise<ManifestResult> {
  return runInSlices(validating(document));
}

function* validating(document: unknown): Generator<void, ManifestResult, undefined> {
  const single = !Array.isArray(document);
  const items: unknown[] = single ? [document] : (document as unknown[]);
  const problems: string[] = [];
  const entries: ManifestEntry[] = [];
  const prefix = (index: number) => (single ? [] : [index]);
  if (items.length === 0) return { ok: false, problems: ["the manifest lists no resource"] };
  if (items.length > MANIFEST_LIMITS.resourcesPerApply) {
    return { ok: false, problems: [`the manifest lists ${items.length} resources: at most ${MANIFEST_LIMITS.resourcesPerApply} per apply (split it)`] };
  }

  const names = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    yield;
    const at = (path: PropertyKey[], message: string) => problems.push(`${formatPath([...prefix(index), ...path]) || "(manifest)"}: ${message}`);
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      at([], 'must be an object with a "type"');
      continue;
    }
    const type = (item as { type?: unknown }).type;
    const kind = (item as { kind?: unknown }).kind;
    if (type === undefined && typeof kind === "string") {
      // A manifest written for Kubernetes: said, with what Cube's says instead (its shape differs beyond the type).
      at(
        ["kind"],
        `a Kubernetes manifest (kind: ${kind}): Cube's resources say "type: ${kind.toLowerCase()}" with no apiVersion, and a container's env is a map {NAME: value}`,
      );
      continue;
    }
    if (type === undefined) {
      at(["type"], `required (supported types: ${RESOURCE_TYPES.join(", ")})`);
      continue;
    }
    if (typeof type !== "string" || !(RESOURCE_TYPES as readonly string[]).includes(type)) {
      at(["type"], `unknown type ${JSON.stringify(type)} (supported types: ${RESOURCE_TYPES.join(", ")})`);
      continue;
    }
    const bytes = Buffer.byteLength(JSON.stringify(item));
    const limit = type === "secret" || type === "config" ? MANIFEST_LIMITS.keyedResourceBytes : MANIFEST_LIMITS.resourceBytes;
    if (bytes > limit) {
      at([], `is ${(bytes / 1024 / 1024).toFixed(1)} MiB as JSON: at most ${limit / 1024 / 1024} MiB per ${type} (Cube's limit)`);
      continue;
    }
    const prototypeKey = prototypeKeyPath(item);
    if (prototypeKey) {
      at(prototypeKey, `"__proto__" is not allowed as a name`);
      continue;
    }
    const parsed = schemas[type as Resource["type"]].safeParse(item, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) at(issue.path, describeIssue(issue));
      continue;
    }
    const key = `${parsed.data.type}/${parsed.data.metadata.name}`;
    const first = names.get(key);
    if (first !== undefined) {
      at(["metadata", "name"], `${key} appears twice in the manifest (also at [${first}])`);
      continue;
    }
    names.set(key, index);
    entries.push({ resource: parsed.data, source: item });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, entries };
}

/** Parses and validates the manifest's text. */
export function parseManifest(text: string): ManifestResult {
  const parsed = parseManifestText(text);
  return "document" in parsed ? validateManifest(parsed.document) : parsed;
}

/** `parseManifest`, pausing between resources for other requests (on the leader). */
export async function parseManifestInSlices(text: string): Promise<ManifestResult> {
  const parsed = parseManifestText(text);
  return "document" in parsed ? validateManifestInSlices(parsed.document) : parsed;
}

function parseManifestText(text: string): { document: unknown } | { ok: false; problems: string[] } {
  const bytes = Buffer.byteLength(text);
  if (bytes > MANIFEST_LIMITS.applyBytes) {
    return { ok: false, problems: [`the manifest is ${(bytes / 1024 / 1024).toFixed(1)} MiB: at most 4 MiB per apply (split it)`] };
  }
  try {
    return { document: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problems: [`the manifest is not valid JSON: ${(error as Error).message}`] };
  }
}
