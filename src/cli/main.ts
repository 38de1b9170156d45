import { execute } from "@oclif/core";

export { COMMANDS, COMMAND_NOT_FOUND } from "./commands-index.js";

/** Runs the CLI (bin/run.js calls this from the bundle `npm run build` makes of this file). */
export async function run(): Promise<void> {
  await execute({ dir: import.meta.url });
}
