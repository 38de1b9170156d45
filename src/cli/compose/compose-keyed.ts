import { manifestData } from "../../shared/keyed-content.js";
import type { ComposeFile } from "./read-compose.js";
import { APP_LABEL, resourceName, type ComposeSurroundings, type Service } from "./compose-vocabulary.js";

// A Compose file's secrets and configs as Cube's.

/** A top-level secret or config, by its Compose name: the Cube resource that holds it, under the key of that name. */
export type KeyedIndex = Record<"secrets" | "configs", Map<string, string>>;

/**
 * The top-level `secrets` and `configs` as Cube's: `file:` (from the file's folder), `environment:` (a variable's value)
 * or, for a config, `content:`, each a secret or config named PROJECT-NAME holding one key, NAME; `external: true`
 * names one that exists already in Cube (`name:` or NAME), which must hold a key NAME.
 */
export function keyedResources(
  file: ComposeFile,
  project: string,
  around: ComposeSurroundings,
  resources: object[],
  problem: (path: (string | number)[], message: string) => void,
): KeyedIndex {
  const index: KeyedIndex = { secrets: new Map(), configs: new Map() };
  for (const section of ["secrets", "configs"] as const) {
    for (const [name, raw] of Object.entries(file[section])) {
      const entry = (raw ?? {}) as { file?: unknown; environment?: unknown; content?: unknown; external?: unknown; name?: unknown };
      const at = [section, name];
      if (entry.external === true || (typeof entry.external === "object" && entry.external !== null)) {
        index[section].set(name, resourceName(String(entry.name ?? name)));
        continue;
      }
      let value: Buffer | undefined;
      if (entry.file !== undefined) {
        try {
          value = around.readFile(String(entry.file));
        } catch (error) {
          problem([...at, "file"], `cannot read ${entry.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          continue;
        }
      } else if (entry.environment !== undefined) {
        const text = around.env(String(entry.environment));
        if (text === undefined) {
          problem([...at, "environment"], `the variable ${entry.environment} is not set`);
          continue;
        }
        value = Buffer.from(text);
      } else if (section === "configs" && entry.content !== undefined) value = Buffer.from(String(entry.content));
      else {
        problem(at, `give its value: file, environment${section === "configs" ? ", content" : ""}, or external: true`);
        continue;
      }
      const cubeName = resourceName(`${project}-${name}`);
      index[section].set(name, cubeName);
      resources.push({
        type: section === "secrets" ? "secret" : "config",
        metadata: { name: cubeName, labels: { [APP_LABEL]: project } },
        ...manifestData([[name, value]]),
      });
    }
  }
  return index;
}

/**
 * A service's `secrets` and `configs` (short: NAME; long: {source, target, mode}) as volumes of one file each, mounted
 * where Compose mounts them: /run/secrets/NAME (or TARGET) for a secret, /NAME (or TARGET) for a config.
 */
export function keyedFiles(
  service: Service,
  index: KeyedIndex,
  problem: (path: (string | number)[], message: string) => void,
  ignore: (path: (string | number)[], what: string) => void,
): { volumes: object[]; mounts: object[] } {
  const volumes: object[] = [];
  const mounts: object[] = [];
  for (const section of ["secrets", "configs"] as const) {
    for (const [position, raw] of ((service[section] as unknown[]) ?? []).entries()) {
      const long =
        typeof raw === "object" && raw !== null ? (raw as { source?: unknown; target?: unknown; mode?: unknown; uid?: unknown; gid?: unknown }) : undefined;
      const source = String(long ? long.source : raw);
      const cubeName = index[section].get(source);
      if (!cubeName) {
        problem([section, position], `no top-level ${section} named "${source}"`);
        continue;
      }
      if (long?.uid !== undefined || long?.gid !== undefined) ignore([section, position], `${section}: uid and gid (the file belongs to root)`);
      const target = long?.target === undefined ? source : String(long.target);
      const mountPath = target.startsWith("/") ? target : section === "secrets" ? `/run/secrets/${target}` : `/${target}`;
      const volume = resourceName(`${section === "secrets" ? "secret" : "config"}-${source}`)
        .slice(0, 63)
        .replace(/-+$/, "");
      const mode = octalMode(long?.mode);
      volumes.push({
        name: volume,
        [section === "secrets" ? "secret" : "config"]: { name: cubeName, items: [{ key: source, path: source, ...(mode === undefined ? {} : { mode }) }] },
      });
      mounts.push({ name: volume, mountPath, readOnly: true, subPath: source });
    }
  }
  return { volumes, mounts };
}

/** A Compose file mode: octal as Compose reads it (0440 in YAML is 440 to a YAML 1.2 reader: its digits are octal). */
function octalMode(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const digits = typeof value === "number" ? String(value) : String(value).replace(/^0o?/, "");
  return /^[0-7]{1,4}$/.test(digits) ? parseInt(digits, 8) : undefined;
}
