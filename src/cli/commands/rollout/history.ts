import { Args } from "@oclif/core";
import { CubeCommand, outputFlag, printedForScripts } from "../../base-command.js";
import { renderRevisions } from "../../render-revisions.js";
import { parseDeploymentArgs } from "../../resource-ref.js";

export default class RolloutHistory extends CubeCommand {
  static override description = "List a deployment's revisions, oldest first: the last is the current one";
  static override examples = ["<%= config.bin %> rollout history deployment/web"];
  static override strict = false;
  static override args = { resource: Args.string({ description: "deployment/NAME (or NAME)", required: true, ignoreStdin: true }) };
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RolloutHistory);
    const name = parseDeploymentArgs(argv as string[]);
    const { revisions } = await (await this.leader()).rolloutHistory(name);
    const values = revisions.map(({ templateJson, ...revision }) => ({ ...revision, template: JSON.parse(templateJson) }));
    if (await printedForScripts(flags.output, values, () => revisions.map((r) => `revision/${r.revision}`))) return;
    process.stdout.write(`${renderRevisions(revisions, new Date())}\n`);
  }
}
