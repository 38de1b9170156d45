import { Args } from "@oclif/core";
import { CubeCommand } from "../base-command.js";

export default class Uncordon extends CubeCommand {
  static override description = "Mark a node schedulable again: it takes new pods";
  static override examples = ["<%= config.bin %> uncordon worker-2"];
  static override args = { node: Args.string({ description: "the node's name, as `cube nodes` shows it", required: true, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Uncordon);
    const leader = await this.leader();
    await this.changing(() => leader.cordon(args.node, false), "cube nodes");
    process.stdout.write(`node/${args.node} uncordoned\n`);
  }
}
