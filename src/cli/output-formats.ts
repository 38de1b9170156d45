// How commands print for scripts (-o), apart from oclif: the quick path (quick-path.ts) prints with it too.

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml", "name"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * Prints for scripts when `-o` asks for it: the value as JSON or YAML, or the resources' names (`type/name`, one per
 * line); false for the tables (table, wide), which each command prints its own way.
 */
export async function printedForScripts(format: OutputFormat, value: unknown, names: () => string[]): Promise<boolean> {
  if (format === "json" || format === "yaml") await printStructured(value, format);
  else if (format === "name")
    process.stdout.write(
      names()
        .map((name) => `${name}\n`)
        .join(""),
    );
  else return false;
  return true;
}

/** A value for scripts: JSON (`-o json`), or YAML (`-o yaml`) from the same JSON form (so dates read the same in both). */
export async function printStructured(value: unknown, format: "json" | "yaml"): Promise<void> {
  const json = JSON.stringify(value, null, 2);
  if (format === "json") process.stdout.write(`${json}\n`);
  // Loaded only here: the commands that print tables start without it.
  else process.stdout.write((await import("yaml")).stringify(JSON.parse(json)));
}
