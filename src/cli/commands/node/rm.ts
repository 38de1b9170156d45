import { Args, Flags } from "@oclif/core";
import { CubeCommand } from "../../base-command.js";

export default class NodeRm extends CubeCommand {
  static override description =
    "Remove a node from the cluster: its pods move to other nodes, its key is revoked for good and its name is free for another machine. A removed node that still runs leaves the cluster (its containers removed) and stays out until its cube-server is restarted, when it joins with a new key if the join token lets it (rotate the token, or start the leader with --approve-nodes, to keep it out)";
  static override examples = ["<%= config.bin %> node rm worker-3"];
  static override args = { name: Args.string({ description: "the node's name, as `cube nodes` shows it", required: true, ignoreStdin: true }) };

  static override flags = {
    force: Flags.boolean({ description: "remove it even though pods' persistent data is on it (the data stays on that machine)", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(NodeRm);
    const leader = await this.leader();
    const { podsMoved } = await this.changing(() => leader.removeNode(args.name, flags.force), "cube nodes");
    process.stdout.write(`node/${args.name} removed${podsMoved > 0 ? ` (${podsMoved} pod${podsMoved === 1 ? "" : "s"} to move to other nodes)` : ""}\n`);
  }
}
