import { Args } from "@oclif/core";
import { CubeCommand } from "../../base-command.js";

export default class NodeRm extends CubeCommand {
  static override description =
    "Remove a node from the cluster: its pods move to other nodes, and its name is free for another machine (a node that comes back must certify again with the join token)";
  static override examples = ["<%= config.bin %> node rm worker-3"];
  static override args = { name: Args.string({ description: "the node's name, as `cube nodes` shows it", required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(NodeRm);
    const leader = await this.leader();
    const { podsMoved } = await this.changing(() => leader.removeNode(args.name), "cube nodes");
    process.stdout.write(`node/${args.name} removed${podsMoved > 0 ? ` (${podsMoved} pod${podsMoved === 1 ? "" : "s"} to move to other nodes)` : ""}\n`);
  }
}
