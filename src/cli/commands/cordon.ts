import { Args } from "@oclif/core";
import { CubeCommand } from "../base-command.js";

export default class Cordon extends CubeCommand {
  static override description = "Mark a node unschedulable: it takes no new pod; the pods it runs stay (`cube drain` moves them)";
  static override examples = ["<%= config.bin %> cordon worker-2"];
  static override args = { node: Args.string({ description: "the node's name, as `cube nodes` shows it", required: true, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Cordon);
    const leader = await this.leader();
    await this.changing(() => leader.cordon(args.node, true), "cube nodes");
    process.stdout.write(`node/${args.node} cordoned\n`);
  }
}
