import { readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, extname, join, resolve } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { parseAllDocuments } from "yaml";
import { composeResources } from "./compose/compose-resources.js";
import { resourceName } from "./compose/compose-vocabulary.js";
import { readCompose } from "./compose/read-compose.js";
import { isComposeDocument } from "./compose/compose-vocabulary.js";
import { looksLikeJson } from "./manifest-wire.js";
import { validateManifest, type ManifestEntry } from "../shared/manifest.js";
import { UsageError } from "./resource-ref.js";

/** The files a directory holds that `-f DIR` reads, as kubectl reads them. */
const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** The resources of every manifest named, in order, validated; the leader gets them as one JSON list. */
export interface ReadManifests {
  entries: ManifestEntry[];
  /** The resources exactly as written (a Compose file's as Cube's), in the order of `entries`. */
  documents: unknown[];
  /** What was said while reading (a Compose file's fields Cube does not read, variables not set). */
  warnings: string[];
  /** The applications of the Compose files read (the value of their resources' `cube.dev/app` label). */
  applications: string[];
}

/** How manifests are read: a Compose file's application name; `strict`: what would be said is refused instead. */
export interface ReadOptions {
  project?: string;
  strict?: boolean;
}

/** A Compose file's resources: its services as Cube's, named for `project` (default: the file's folder, as docker compose). */
function composeFileResources(
  text: string,
  source: string,
  path: string,
  project: string | undefined,
): { resources: unknown[]; problems: string[]; warnings: string[]; application?: string } {
  const folder = dirname(resolve(path));
  let dotenv: Record<string, string> = {};
  try {
    dotenv = parseDotenv(readFileSync(join(folder, ".env")));
  } catch {
    // no .env: the environment alone
  }
  // As docker compose: the environment first, then the .env file of the compose file's folder.
  const env = (name: string) => process.env[name] ?? dotenv[name];
  const read = readCompose(text, source, env);
  if (!read.file) return { resources: [], problems: read.problems, warnings: read.warnings };
  // docker compose's order: -p, then COMPOSE_PROJECT_NAME, then the file's name, then its folder's.
  const application = resourceName(project ?? (process.env.COMPOSE_PROJECT_NAME || undefined) ?? read.file.name ?? basename(folder));
  const translated = composeResources(read.file, application, {
    readFile: (path) => readFileSync(resolve(folder, path)),
    resolvePath: (path) => resolve(folder, path.replace(/^~(?=\/|$)/, homedir())),
    env,
  });
  return { resources: translated.resources, problems: translated.problems, warnings: [...read.warnings, ...translated.warnings], application };
}

/** The names docker compose looks for in a folder, in its order of preference, and those of its override files. */
const COMPOSE_FILE_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];
const COMPOSE_OVERRIDE_NAMES = ["compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml"];

/**
 * The manifest files that `-f PATH` names: the file itself; a Compose project's folder, its Compose file alone (as
 * docker compose reads it: the YAML files next to it are its configs, not manifests); else a directory's manifests
 * (recursively with `-R`), sorted.
 */
export function manifestFiles(path: string, recursive: boolean): string[] {
  if (path === "-") return [path];
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!isDirectory) return [path];
  const names = new Set(readdirSync(path));
  const composeFile = COMPOSE_FILE_NAMES.find((name) => names.has(name));
  if (composeFile) {
    const override = COMPOSE_OVERRIDE_NAMES.find((name) => names.has(name));
    if (override)
      throw new UsageError(`${join(path, override)}: override files are not read: merge it into ${composeFile}, or apply -f ${join(path, composeFile)} alone`);
    return [join(path, composeFile)];
  }
  const found: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const inner = join(path, entry.name);
    if (entry.isDirectory()) {
      if (recursive) found.push(...manifestFiles(inner, true));
    } else if (MANIFEST_EXTENSIONS.has(extname(entry.name))) found.push(inner);
  }
  return found;
}

/**
 * A manifest file's resources: every YAML document (JSON is YAML too) is a resource or a list of them. Syntax errors
 * come back with their file, line and column.
 */
export function parseManifestText(text: string, source: string): { resources: unknown[]; problems: string[] } {
  const resources: unknown[] = [];
  const problems: string[] = [];
  // JSON (a .json file, or a text that opens as JSON does: `{"` or `[{"`) gets JSON's words for its syntax errors.
  if (looksLikeJson(text, source)) {
    const json = jsonSyntaxError(text);
    if (json) return { resources, problems: [`${source}:${json.line}:${json.column}: JSON syntax error: ${json.message}`] };
  }
  for (const document of parseAllDocuments(text, { uniqueKeys: true })) {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const at = error.linePos?.[0];
        problems.push(`${source}${at ? `:${at.line}:${at.col}` : ""}: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`);
      }
      continue;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue; // an empty document (a trailing ---)
    resources.push(...(Array.isArray(value) ? value : [value]));
  }
  return { resources, problems };
}

/** Where JSON.parse stops in `text`, if it does: line and column (from 1), and its words without the position. */
function jsonSyntaxError(text: string): { line: number; column: number; message: string } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : text.length;
    const before = text.slice(0, offset).split("\n");
    return {
      line: before.length,
      column: before.at(-1)!.length + 1,
      message: message.replace(/ in JSON at position \d+.*$/, "").replace(/ \(line \d+ column \d+\)$/, ""),
    };
  }
}

/** Reads and validates every manifest of `paths` (files, directories, `-` for standard input); one UsageError lists every problem. */
export function readManifests(paths: string[], recursive: boolean, { project, strict = false }: ReadOptions = {}): ReadManifests {
  const problems: string[] = [];
  const warnings: string[] = [];
  const applications: string[] = [];
  const documents: unknown[] = [];
  const origins: { source: string; index: number }[] = [];
  for (const file of paths.flatMap((path) => manifestFiles(path, recursive))) {
    const source = file === "-" ? "standard input" : file;
    let text: string;
    try {
      text = readFileSync(file === "-" ? 0 : file, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    // Parsed once as a manifest; a Compose file (one document with a top-level services map) is then read as one.
    let parsed: { resources: unknown[]; problems: string[]; warnings?: string[]; application?: string } = parseManifestText(text, source);
    if (file !== "-" && parsed.problems.length === 0 && parsed.resources.length === 1 && isComposeDocument(parsed.resources[0])) {
      parsed = composeFileResources(text, source, file, project);
      if (parsed.application && !applications.includes(parsed.application)) applications.push(parsed.application);
    }
    problems.push(...parsed.problems);
    warnings.push(...(parsed.warnings ?? []));
    parsed.resources.forEach((resource, index) => {
      documents.push(resource);
      origins.push({ source, index });
    });
  }
  if (problems.length === 0 && documents.length === 0) problems.push(`${paths.join(", ")}: no resource found`);
  if (strict) problems.push(...warnings.map((warning) => `--strict: ${warning}`));
  if (problems.length > 0) throw new UsageError(`invalid manifest:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  const validation = validateManifest(documents);
  if (!validation.ok) {
    // "[3].spec…" becomes "web.yaml: resource 2: spec…": where the user wrote it.
    const located = validation.problems.map((problem) => {
      const match = /^\[(\d+)\]\.?(.*)$/.exec(problem);
      if (!match) return problem;
      const origin = origins[Number(match[1])];
      const perFile = origins.filter((o) => o.source === origin.source).length;
      const rest = match[2].startsWith(":") ? match[2] : `: ${match[2]}`;
      return `${origin.source}${perFile > 1 ? `: resource ${origin.index + 1}` : ""}${rest}`;
    });
    throw new UsageError(`invalid manifest:\n${located.map((p) => `  ${p}`).join("\n")}`);
  }
  return { entries: validation.entries, documents, warnings: strict ? [] : warnings, applications };
}
