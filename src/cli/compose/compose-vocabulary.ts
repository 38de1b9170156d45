// The words the Compose translation shares: the application's labels, Cube's names for Compose's, what a file reaches.

/** The label that keeps an application's resources together: `cube list -l cube.dev/app=NAME`, `delete -f`, `--prune`. */
export const APP_LABEL = "cube.dev/app";
/** The Compose service a resource comes from. */
export const SERVICE_LABEL = "cube.dev/service";

/** A Compose service, as read. */
export type Service = Record<string, unknown>;

/** Cube's names are DNS labels: a Compose name in lowercase, "_" and "." as "-". */
export function resourceName(composeName: string): string {
  return composeName.toLowerCase().replace(/[_.]/g, "-");
}

/** What a Compose file reaches beyond itself: files by their path from its folder (env_file, secrets), variables. */
export interface ComposeSurroundings {
  readFile(path: string): Buffer;
  /** An absolute path for one written in the file ("./data", "~/x", "/srv"). */
  resolvePath(path: string): string;
  env(name: string): string | undefined;
}

/** Whether a parsed YAML value is a Compose file: a top-level `services` map, and no Cube `type`. */
export function isComposeDocument(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { services, type } = value as { services?: unknown; type?: unknown };
  return type === undefined && typeof services === "object" && services !== null && !Array.isArray(services);
}
