import { Args } from "@oclif/core";
import { CubeCommand, outputFlag, printedForScripts } from "../base-command.js";
import { manifestFlags, manifestPaths, readManifests, toWire } from "../read-manifests.js";

export default class Apply extends CubeCommand {
  static override description = "Create or update the resources of manifests (YAML or JSON; several documents or a list of resources per file)";
  static override examples = [
    "<%= config.bin %> apply -f web.yaml",
    "<%= config.bin %> apply -f manifests/ -R",
    "cat web.yaml | <%= config.bin %> apply -f -",
    "<%= config.bin %> apply web.json",
  ];
  static override args = { file: Args.string({ description: "a manifest, as with -f", required: false }) };
  static override flags = { ...manifestFlags, output: outputFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    // Checked here for a quick answer with the file's own lines; the leader checks again (the CLI is not its only client).
    const { documents } = readManifests(manifestPaths(args.file, flags.filename), flags.recursive);
    const leader = await this.leader();
    const { results } = await this.changing(() => leader.apply(toWire(documents)), "cube list");
    const lines = results.map((r) => ({ resource: `${r.type}/${r.name}`, outcome: r.outcome }));
    if (await printedForScripts(flags.output, lines, () => lines.map((line) => line.resource))) return;
    for (const line of lines) process.stdout.write(`${line.resource} ${line.outcome}\n`);
  }
}
