import { Args } from "@oclif/core";
import { CubeCommand } from "../../base-command.js";

export default class NodeApprove extends CubeCommand {
  static override description =
    "Let a node that waits for approval join (a leader started with --approve-nodes admits no new node before): it joins at its next try, within seconds";
  static override examples = ["<%= config.bin %> node approve worker-3"];
  static override args = {
    name: Args.string({ description: "the node's name, as `cube nodes` shows it (Pending approval)", required: true, ignoreStdin: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(NodeApprove);
    const leader = await this.leader();
    await this.changing(() => leader.approveNode(args.name), "cube nodes");
    process.stdout.write(`node/${args.name} approved: it joins at its next try\n`);
  }
}
