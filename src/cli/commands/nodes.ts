import { nodeFromWire } from "../../shared/codec.js";
import { CubeCommand, outputFlag } from "../base-command.js";
import { colors } from "../colors.js";
import { renderTable } from "../table.js";

export default class Nodes extends CubeCommand {
  static override description = "List the nodes of the cluster";
  static override examples = ["<%= config.bin %> nodes", "<%= config.bin %> nodes -o json"];
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Nodes);
    const { nodes } = await (await this.leader()).listNodes();
    const infos = nodes.map(nodeFromWire);
    if (flags.output === "json") {
      this.printJson(infos);
      return;
    }
    const statusColor = (status: string) => (status === "Ready" ? colors.green(status) : colors.red(status));
    process.stdout.write(
      `${renderTable(
        ["Name", "Status", "Type"],
        infos.map((node) => [node.name, statusColor(node.status), node.type]),
      )}\n`,
    );
  }
}
