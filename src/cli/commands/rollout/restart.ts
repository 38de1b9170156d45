import { Args } from "@oclif/core";
import { CubeCommand } from "../../base-command.js";
import { parseDeploymentArgs } from "../../resource-ref.js";

export default class RolloutRestart extends CubeCommand {
  static override description = "Replace every pod of a deployment, as a rollout: within its strategy's bounds and behind readiness";
  static override examples = ["<%= config.bin %> rollout restart deployment/web"];
  static override strict = false;
  static override args = { resource: Args.string({ description: "deployment/NAME (or NAME)", required: true, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(RolloutRestart);
    const name = parseDeploymentArgs(argv as string[]);
    const leader = await this.leader();
    const rollout = await this.changing(() => leader.rolloutRestart(name), `cube rollout history deployment/${name}`);
    process.stdout.write(`deployment/${name} restarting (revision ${rollout.revision}; follow it with \`cube rollout status deployment/${name}\`)\n`);
  }
}
