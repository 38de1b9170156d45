import { Args, Flags } from "@oclif/core";
import { CubeCommand, outputFlag } from "../../base-command.js";
import { printedForScripts, printStructured } from "../../output-formats.js";
import { renderRevisions } from "../../render-revisions.js";
import { parseDeploymentArgs, UsageError } from "../../resource-ref.js";

export default class RolloutHistory extends CubeCommand {
  static override description = "List a deployment's revisions, oldest first, each with what it changed: the last is the current one";
  static override examples = ["<%= config.bin %> rollout history deployment/web", "<%= config.bin %> rollout history deployment/web --revision 2"];
  static override strict = false;
  static override args = { resource: Args.string({ description: "deployment/NAME (or NAME)", required: true, ignoreStdin: true }) };
  static override flags = {
    output: outputFlag,
    revision: Flags.integer({ description: "print this revision's pod template (YAML; JSON with -o json)", min: 1 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RolloutHistory);
    const name = parseDeploymentArgs(argv as string[]);
    const { revisions } = await (await this.leader()).rolloutHistory(name);
    if (flags.revision !== undefined) {
      const shown = revisions.find((r) => r.revision === flags.revision);
      if (!shown) throw new UsageError(`deployment/${name} has no revision ${flags.revision} (kept: ${revisions.map((r) => r.revision).join(", ")})`);
      return printStructured(JSON.parse(shown.templateJson), flags.output === "json" ? "json" : "yaml");
    }
    const values = revisions.map(({ templateJson, ...revision }) => ({ ...revision, template: JSON.parse(templateJson) }));
    if (await printedForScripts(flags.output, values, () => revisions.map((r) => `revision/${r.revision}`))) return;
    process.stdout.write(`${renderRevisions(revisions, new Date())}\n`);
  }
}
