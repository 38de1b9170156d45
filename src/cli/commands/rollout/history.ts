import { Args } from "@oclif/core";
import { CubeCommand, outputFlag } from "../../base-command.js";
import { renderRevisions } from "../../render-revisions.js";
import { parseDeploymentRef } from "../../resource-ref.js";

export default class RolloutHistory extends CubeCommand {
  static override description = "List a deployment's revisions, oldest first: the last is the current one";
  static override examples = ["<%= config.bin %> rollout history deployment/web"];
  static override args = { resource: Args.string({ description: "deployment/NAME", required: true }) };
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RolloutHistory);
    const name = parseDeploymentRef(args.resource);
    const { revisions } = await (await this.leader()).rolloutHistory(name);
    if (flags.output === "json") this.printJson(revisions.map(({ templateJson, ...revision }) => ({ ...revision, template: JSON.parse(templateJson) })));
    else process.stdout.write(`${renderRevisions(revisions, new Date())}\n`);
  }
}
