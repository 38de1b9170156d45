import { nodeFromWire } from "../shared/codec.js";
import type { NodeInfo } from "../shared/domain.js";
import { formatCpu, formatMemory } from "../shared/quantities.js";
import type { Node, ResourceSummary } from "../gen/cube.js";
import { printedForScripts, type OutputFormat } from "./output-formats.js";
import { colors } from "./colors.js";
import { formatAge } from "../shared/format-age.js";
import type { LeaderClient } from "./leader-client.js";
import { printable } from "./printable.js";
import { colorStatus } from "./resource-table.js";
import { renderTable } from "./table.js";
import { UsageError } from "./resource-ref.js";

const statusColor = (status: string) => (status === "Ready" ? colors.green(status) : status === "NotReady" ? colors.red(status) : colors.yellow(status));
const labelList = (node: NodeInfo) =>
  Object.entries(node.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");

/** A node with what its pods request of it. */
type ShownNode = NodeInfo & Pick<Node, "allocatedCpuMillis" | "allocatedMemoryBytes" | "certificateExpiresAt" | "holds">;

async function nodeInfos(leader: LeaderClient): Promise<ShownNode[]> {
  const { nodes, warnings } = await leader.listNodes();
  for (const warning of warnings) process.stderr.write(`warning: ${printable(warning)}\n`);
  return nodes.map((node) => ({ ...node, ...nodeFromWire(node) }));
}

/** The nodes as `cube nodes` (and `cube get nodes`) prints them. */
export async function printNodes(leader: LeaderClient, output: OutputFormat): Promise<void> {
  const nodes = await nodeInfos(leader);
  if (await printedForScripts(output, nodes, () => nodes.map((node) => `node/${node.name}`))) return;
  // The original request's three columns; labels when some node has any; requests/capacity with -o wide.
  const wide = output === "wide";
  const withLabels = nodes.some((node) => Object.keys(node.labels).length > 0);
  process.stdout.write(
    `${renderTable(
      ["Name", "Status", "Type", ...(wide ? ["CPU", "Memory", "Pod subnet"] : []), ...(withLabels ? ["Labels"] : [])],
      nodes.map((node) => [
        node.name,
        statusColor(node.status) + (node.cordoned ? colors.yellow(",SchedulingDisabled") : ""),
        node.type,
        ...(wide
          ? [
              `${formatCpu(node.allocatedCpuMillis)}/${formatCpu(node.cpuMillis)}`,
              `${formatMemory(node.allocatedMemoryBytes)}/${formatMemory(node.memoryBytes)}`,
              node.podSubnet ?? "<none>",
            ]
          : []),
        ...(withLabels ? [labelList(node)] : []),
      ]),
    )}\n`,
  );
}

/** Named nodes as `cube get node/NAME` (kubectl's describe node) shows them: what they are, what they hold, their pods. */
export async function showNodes(leader: LeaderClient, names: string[], output: OutputFormat): Promise<void> {
  const [nodes, { items }] = await Promise.all([nodeInfos(leader), leader.list("pod")]);
  const shown = names.map((name) => {
    const node = nodes.find((candidate) => candidate.name === name);
    if (!node) throw new UsageError(`node/${name} not found (see cube nodes)`);
    return { ...node, pods: items.filter((pod) => pod.node === name) };
  });
  const values = shown.map(({ pods, ...node }) => ({ ...node, pods: pods.map((pod) => ({ name: pod.name, status: pod.status })) }));
  if (await printedForScripts(output, values.length === 1 ? values[0] : values, () => shown.map((node) => `node/${node.name}`))) return;
  const now = new Date();
  process.stdout.write(shown.map((node) => renderNode(node, node.pods, now)).join("\n"));
}

function renderNode(node: ShownNode, pods: ResourceSummary[], now: Date): string {
  const percent = (part: number, whole: number) => (whole > 0 ? ` (${Math.round((100 * part) / whole)} %)` : "");
  const lines = [
    `Name:        ${node.name}`,
    `Type:        node (${node.type})`,
    `Status:      ${statusColor(node.status)}${node.cordoned ? `, ${colors.yellow("SchedulingDisabled")} (cube uncordon ${node.name})` : ""}`,
    `Address:     ${node.address}`,
    `Pod subnet:  ${node.podSubnet ?? "<none> (the pod CIDR had none left)"}`,
    `Labels:      ${labelList(node) || "<none>"}`,
    `Capacity:    cpu ${formatCpu(node.cpuMillis)}, memory ${formatMemory(node.memoryBytes)}`,
    `Requested:   cpu ${formatCpu(node.allocatedCpuMillis)}${percent(node.allocatedCpuMillis, node.cpuMillis)}, memory ${formatMemory(node.allocatedMemoryBytes)}${percent(node.allocatedMemoryBytes, node.memoryBytes)}`,
    `Joined:      ${node.joinedAt.toISOString()} (${formatAge(node.joinedAt, now)} ago)`,
    `Heartbeat:   ${formatAge(node.lastHeartbeatAt, now)} ago`,
    ...(node.certificateExpiresAt ? [`Certificate: ends ${node.certificateExpiresAt.toISOString()} (renewed before)`] : []),
    `Holds:       ${node.holds.length === 0 ? "<no secret or config>" : node.holds.join(", ")}`,
    "",
    "Pods:",
    pods.length === 0
      ? "  <none>"
      : renderTable(
          ["name", "status", "age"],
          pods.map((pod) => [pod.name, colorStatus(pod.status), formatAge(pod.createdAt ?? now, now)]),
        ).replace(/^/gm, "  "),
  ];
  return `${lines.join("\n")}\n`;
}
