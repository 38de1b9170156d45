// What the commands that read manifests share, without the parsers: those load only when a manifest is read.
import { Flags } from "@oclif/core";
import { UsageError } from "./resource-ref.js";

/** `-f FILE|DIR|-`, repeatable, and `-R`: shared by the commands that read manifests (apply, delete). */
export const manifestFlags = {
  filename: Flags.string({ char: "f", description: "a manifest (YAML or JSON), a directory of them, or - for standard input", multiple: true }),
  recursive: Flags.boolean({ char: "R", description: "with -f DIR, read the manifests of its subdirectories too", default: false }),
  project: Flags.string({
    char: "p",
    description: "a Compose file's application name (default: $COMPOSE_PROJECT_NAME, the file's name: or its folder's, as docker compose)",
  }),
};

/** `--strict`: what reading a Compose file would only say (fields Cube does not read, variables not set) refuses it. */
export const strictFlag = Flags.boolean({
  description: "refuse a Compose file with fields Cube does not read or variables not set, instead of warning",
  default: false,
});

/** The manifest paths given as `-f` and as arguments; at least one. */
export function manifestPaths(positional: string | undefined, flagged: string[] | undefined): string[] {
  const paths = [...(positional === undefined ? [] : [positional]), ...(flagged ?? [])];
  if (paths.length === 0) throw new UsageError("no manifest given: name one with -f FILE (a file, a directory, or - for standard input)");
  return paths;
}
