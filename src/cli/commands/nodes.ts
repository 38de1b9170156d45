import { nodeFromWire } from "../../shared/codec.js";
import { formatCpu, formatMemory } from "../../shared/quantities.js";
import { CubeCommand, outputFlag, printedForScripts } from "../base-command.js";
import { colors } from "../colors.js";
import { renderTable } from "../table.js";

export default class Nodes extends CubeCommand {
  static override description = "List the nodes of the cluster";
  static override examples = ["<%= config.bin %> nodes", "<%= config.bin %> nodes -o wide", "<%= config.bin %> nodes -o json"];
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Nodes);
    const { nodes, warnings } = await (await this.leader()).listNodes();
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    const infos = nodes.map(nodeFromWire);
    if (await printedForScripts(flags.output, infos, () => infos.map((node) => `node/${node.name}`))) return;
    const statusColor = (status: string) => (status === "Ready" ? colors.green(status) : status === "NotReady" ? colors.red(status) : colors.yellow(status));
    const labels = (node: (typeof nodes)[number]) =>
      Object.entries(node.labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
    // The original request's three columns; labels when some node has any; requests/capacity with -o wide.
    const wide = flags.output === "wide";
    const withLabels = nodes.some((node) => Object.keys(node.labels).length > 0);
    process.stdout.write(
      `${renderTable(
        ["Name", "Status", "Type", ...(wide ? ["CPU", "Memory"] : []), ...(withLabels ? ["Labels"] : [])],
        nodes.map((node) => [
          node.name,
          statusColor(node.status) + (node.cordoned ? colors.yellow(",SchedulingDisabled") : ""),
          node.type,
          ...(wide
            ? [
                `${formatCpu(node.allocatedCpuMillis)}/${formatCpu(node.cpuMillis)}`,
                `${formatMemory(node.allocatedMemoryBytes)}/${formatMemory(node.memoryBytes)}`,
              ]
            : []),
          ...(withLabels ? [labels(node)] : []),
        ]),
      )}\n`,
    );
  }
}
