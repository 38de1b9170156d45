import { Args, Flags } from "@oclif/core";
import { CubeCommand } from "../../base-command.js";
import { parseDeploymentArgs } from "../../resource-ref.js";

export default class RolloutUndo extends CubeCommand {
  static override description =
    "Go back to an earlier template of a deployment (the one before the current by default): a new revision, rolled out as any other";
  static override examples = ["<%= config.bin %> rollout undo deployment/web", "<%= config.bin %> rollout undo deployment/web --to-revision 2"];
  static override strict = false;
  static override args = { resource: Args.string({ description: "deployment/NAME (or NAME)", required: true, ignoreStdin: true }) };
  static override flags = { "to-revision": Flags.integer({ description: "the revision to go back to (`cube rollout history` lists them)", min: 1 }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RolloutUndo);
    const name = parseDeploymentArgs(argv as string[]);
    const leader = await this.leader();
    const rollout = await this.changing(() => leader.rolloutUndo(name, flags["to-revision"]), `cube rollout history deployment/${name}`);
    process.stdout.write(`deployment/${name} rolled back (now revision ${rollout.revision}; follow it with \`cube rollout status deployment/${name}\`)\n`);
  }
}
