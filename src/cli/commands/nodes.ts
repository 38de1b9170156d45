import { CubeCommand, outputFlag } from "../base-command.js";
import { printNodes } from "../show-node.js";

export default class Nodes extends CubeCommand {
  static override description = "List the nodes of the cluster (cube get node/NAME shows one)";
  static override examples = ["<%= config.bin %> nodes", "<%= config.bin %> nodes -o wide", "<%= config.bin %> nodes -o json"];
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Nodes);
    await printNodes(await this.leader(), flags.output);
  }
}
