import type { ApplyResult } from "../gen/cube.js";
import { printedForScripts, type OutputFormat } from "./output-formats.js";

/** A line of what `apply` says: a resource and what became of it (created, configured, unchanged, pruned). */
export interface AppliedLine {
  resource: string;
  outcome: string;
  revision?: number;
}

/** The leader's answer to an apply, as lines. */
export function appliedLines(results: ApplyResult[]): AppliedLine[] {
  return results.map((r) => ({ resource: `${r.type}/${r.name}`, outcome: r.outcome, ...(r.revision === undefined ? {} : { revision: r.revision }) }));
}

/** Prints what an apply did, as kubectl does ("pod/web created"), or for scripts (`-o`). */
export async function printApplied(lines: AppliedLine[], output: OutputFormat, dryRun: boolean): Promise<void> {
  if (await printedForScripts(output, lines, () => lines.map((line) => line.resource))) return;
  for (const line of lines) {
    const notes = [line.revision === undefined ? "" : `revision ${line.revision}`, dryRun ? "dry run" : ""].filter(Boolean);
    process.stdout.write(`${line.resource} ${line.outcome}${notes.length ? ` (${notes.join(", ")})` : ""}\n`);
  }
}
