import { readFileSync } from "node:fs";
import { Args } from "@oclif/core";
import { parseManifest } from "../../shared/manifest.js";
import { CubeCommand, outputFlag } from "../base-command.js";
import { UsageError } from "../resource-ref.js";

export default class Apply extends CubeCommand {
  static override description = "Create or update the resources of a manifest (a JSON list of resources, or one resource)";
  static override examples = ["<%= config.bin %> apply manifest.json", "cat manifest.json | <%= config.bin %> apply -"];
  static override args = { file: Args.string({ description: "the manifest file, or - for standard input", required: true }) };
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const source = args.file === "-" ? "standard input" : args.file;
    let text: string;
    try {
      text = readFileSync(args.file === "-" ? 0 : args.file, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    // Checked here for a quick answer; the leader checks again (the CLI is not its only client).
    const validation = parseManifest(text);
    if (!validation.ok) throw new UsageError(`invalid manifest ${source}:\n${validation.problems.map((p) => `  ${p}`).join("\n")}`);
    const leader = await this.leader();
    const { results } = await this.changing(() => leader.apply(text), "cube list");
    const lines = results.map((r) => ({ resource: `${r.type}/${r.name}`, outcome: r.outcome }));
    if (flags.output === "json") this.printJson(lines);
    else for (const line of lines) process.stdout.write(`${line.resource} ${line.outcome}\n`);
  }
}
