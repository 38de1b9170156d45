import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { interpolate } from "./interpolate.js";

/** A Compose file as read: its top-level sections as plain values, interpolated, `extends` resolved. */
export interface ComposeFile {
  services: Record<string, Record<string, unknown>>;
  volumes: Record<string, unknown>;
  secrets: Record<string, unknown>;
  configs: Record<string, unknown>;
  networks: Record<string, unknown>;
  /** Its top-level `name`: the application's name unless `-p` gives one. */
  name?: string;
  /** "FILE:LINE" of a path in the file as written (for messages), or the file alone when it has no such path. */
  at(path: (string | number)[]): string;
}

/** What the Compose specification names at the top level; anything else (but `x-` extensions) is said. */
const TOP_LEVEL = new Set(["services", "volumes", "secrets", "configs", "networks", "name", "version", "include"]);

/**
 * Reads a Compose file as `docker compose` does: YAML with anchors and merge keys (`<<`), every string value
 * interpolated from `env` (`.env` and the environment), `x-` extensions ignored, `extends` within the file resolved.
 * Problems (an error) and warnings (said, then going on) come with the file and line.
 */
export function readCompose(
  text: string,
  source: string,
  env: (name: string) => string | undefined,
): { file?: ComposeFile; problems: string[]; warnings: string[] } {
  const lines = new LineCounter();
  const document = parseDocument(text, { merge: true, uniqueKeys: true, lineCounter: lines });
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => {
        const position = error.linePos?.[0];
        return `${source}${position ? `:${position.line}:${position.col}` : ""}: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`;
      }),
      warnings: [],
    };
  }
  const at = (path: (string | number)[]) => {
    const offset = offsetOf(document, path);
    return offset === undefined ? source : `${source}:${lines.linePos(offset).line}`;
  };
  const problems: string[] = [];
  const warnings: string[] = [];
  const missing = new Set<string>();
  const raw = document.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const value = interpolated(raw, [], env, missing, (path, error) => problems.push(`${at(path)}: ${error}`)) as Record<string, unknown>;
  for (const name of missing) warnings.push(`${source}: the "${name}" variable is not set: it is read as an empty string`);
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL.has(key) && !key.startsWith("x-")) warnings.push(`${at([key])}: "${key}" is not a Compose top-level section: ignored`);
  }
  const section = (name: string) => {
    const found = value[name];
    if (found === undefined || found === null) return {};
    if (typeof found !== "object" || Array.isArray(found)) {
      problems.push(`${at([name])}: ${name} must be a map`);
      return {};
    }
    return found as Record<string, unknown>;
  };
  if (value.include !== undefined) problems.push(`${at(["include"])}: include is not read: apply each file with -f and the same -p, or merge them into one`);
  const services = section("services") as Record<string, Record<string, unknown>>;
  for (const [name, service] of Object.entries(services)) {
    if (typeof service !== "object" || service === null || Array.isArray(service)) problems.push(`${at(["services", name])}: a service must be a map`);
  }
  if (problems.length > 0) return { problems, warnings };
  const resolved: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(services)) {
    const extended = extendedService(services, name, [], (problem) => problems.push(`${at(["services", name, "extends"])}: ${problem}`));
    if (extended) resolved[name] = extended;
  }
  const file = {
    services: resolved,
    volumes: section("volumes"),
    secrets: section("secrets"),
    configs: section("configs"),
    networks: section("networks"),
    ...(typeof value.name === "string" && value.name !== "" ? { name: value.name } : {}),
    at,
  };
  return problems.length > 0 ? { problems, warnings } : { file, problems, warnings };
}

/** Every string of a value interpolated (keys are not, as in Compose); `x-` extensions dropped. */
function interpolated(
  value: unknown,
  path: (string | number)[],
  env: (name: string) => string | undefined,
  missing: Set<string>,
  error: (path: (string | number)[], message: string) => void,
): unknown {
  if (typeof value === "string") {
    const result = interpolate(value, env);
    for (const name of result.missing) missing.add(name);
    for (const message of result.errors) error(path, message);
    return result.text;
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolated(item, [...path, index], env, missing, error));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !key.startsWith("x-"))
        .map(([key, inner]) => [key, interpolated(inner, [...path, key], env, missing, error)]),
    );
  }
  return value;
}

/**
 * A service with what it `extends` (another service of the same file, itself possibly extending one) merged under it:
 * maps merged key by key, anything else taken from the extending service.
 */
function extendedService(
  services: Record<string, Record<string, unknown>>,
  name: string,
  chain: string[],
  problem: (message: string) => void,
): Record<string, unknown> | undefined {
  const { extends: extended, ...service } = services[name];
  if (extended === undefined) return service;
  const base = typeof extended === "string" ? extended : (extended as { service?: unknown; file?: unknown })?.service;
  if (typeof extended === "object" && extended !== null && (extended as { file?: unknown }).file !== undefined) {
    problem("extends with a file is not supported: Cube reads one file (put the base service in this one)");
    return undefined;
  }
  if (typeof base !== "string" || !(base in services)) {
    problem(`extends names no service of this file: ${JSON.stringify(base)}`);
    return undefined;
  }
  if (chain.includes(base) || base === name) {
    problem(`extends loops: ${[...chain, name, base].join(" → ")}`);
    return undefined;
  }
  const parent = extendedService(services, base, [...chain, name], problem);
  return parent && merged(parent, service);
}

function merged(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const before = out[key];
    const bothMaps = [before, value].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
    out[key] = bothMaps ? merged(before as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** Where a path's key starts in the text (its value's start for a list item); undefined when the path is not there. */
function offsetOf(document: Document, path: (string | number)[]): number | undefined {
  if (path.length === 0) return 0;
  const parent = path.length === 1 ? document.contents : (document.getIn(path.slice(0, -1), true) as Node | undefined);
  const last = path.at(-1)!;
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
    const key = pair?.key as Node | undefined;
    return key?.range?.[0];
  }
  const node = document.getIn(path, true) as Node | undefined;
  return node?.range?.[0];
}
