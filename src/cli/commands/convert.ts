import { Args, Flags } from "@oclif/core";
import { CubeCommand } from "../base-command.js";
import { printStructured } from "../output-formats.js";
import { manifestFlags, manifestPaths, strictFlag } from "../manifest-flags.js";

export default class Convert extends CubeCommand {
  static override description =
    "Print the Cube resources that a Compose file (or any manifest) stands for, for those who would rather keep Cube manifests; nothing is sent to the leader";
  static override examples = ["<%= config.bin %> convert -f compose.yaml", "<%= config.bin %> convert -f compose.yaml -p shop -o json > shop.json"];
  static override args = { file: Args.string({ description: "the file (or -f)", required: false, ignoreStdin: true }) };
  static override flags = {
    ...manifestFlags,
    strict: strictFlag,
    output: Flags.option({ char: "o", description: "output format", options: ["yaml", "json"] as const, default: "yaml" as const })(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Convert);
    const { documents, warnings } = (await import("../read-manifests.js")).readManifests(manifestPaths(args.file, flags.filename), flags.recursive, {
      project: flags.project,
      strict: flags.strict,
    });
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    await printStructured(documents, flags.output);
  }
}
