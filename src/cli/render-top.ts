import type { NodeTop, PodTop } from "../gen/cube.js";
import { totalUsage, type ContainerUsage } from "../shared/usage.js";
import type { ResourceAmounts } from "../shared/domain.js";
import { cpuMillis, memoryBytes } from "../shared/quantities.js";
import { renderTable } from "./table.js";

export const TOP_SORTS = ["cpu", "memory"] as const;
export type TopSort = (typeof TOP_SORTS)[number];

const MI = 2 ** 20;

/** kubectl top's units: CPU in millicores, memory in mebibytes. */
export const formatCpuUsage = (millis: number) => `${millis}m`;
export const formatMemoryUsage = (bytes: number) => `${Math.round(bytes / MI)}Mi`;
const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : "<unknown>");

/** A pod's figures for scripts: its totals, then its containers'. */
export function podTopValue(pod: PodTop) {
  const containers = pod.usage?.containers ?? [];
  return { name: pod.name, node: pod.node, ...totalUsage(containers), containers, sampledAt: pod.usage?.sampledAt };
}

/** A node's figures for scripts: its pods' sums, and their share of what it has. */
export function nodeTopValue(node: NodeTop) {
  const share = (part: number, whole: number) => (whole > 0 ? Math.round((100 * part) / whole) : null);
  return {
    name: node.name,
    cpuMillis: node.cpuMillis,
    cpuPercent: share(node.cpuMillis, node.capacityCpuMillis),
    memoryBytes: node.memoryBytes,
    memoryPercent: share(node.memoryBytes, node.capacityMemoryBytes),
    pods: node.pods,
  };
}

/** Biggest first by the figure asked; by name otherwise (and between equals). */
function ordered<T extends { name: string; cpuMillis: number; memoryBytes: number }>(rows: T[], sort: TopSort | undefined): T[] {
  const key = sort === "cpu" ? (row: T) => row.cpuMillis : sort === "memory" ? (row: T) => row.memoryBytes : () => 0;
  return [...rows].sort((a, b) => key(b) - key(a) || a.name.localeCompare(b.name));
}

/** `cube top pods`: a pod per line, or (`containers`) a container per line; -o wide adds the node. */
export function renderTopPods(pods: PodTop[], options: { sort?: TopSort; containers: boolean; wide: boolean }): string {
  const rows = ordered(pods.map(podTopValue), options.sort);
  const node = (pod: { node: string }) => (options.wide ? [pod.node] : []);
  if (options.containers) {
    return renderTable(
      ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)", ...(options.wide ? ["NODE"] : [])],
      rows.flatMap((pod) =>
        pod.containers.map((container) => [
          pod.name,
          container.name,
          formatCpuUsage(container.cpuMillis),
          formatMemoryUsage(container.memoryBytes),
          ...node(pod),
        ]),
      ),
    );
  }
  return renderTable(
    ["NAME", "CPU(cores)", "MEMORY(bytes)", ...(options.wide ? ["NODE"] : [])],
    rows.map((pod) => [pod.name, formatCpuUsage(pod.cpuMillis), formatMemoryUsage(pod.memoryBytes), ...node(pod)]),
  );
}

/** `cube top nodes`: what each node's pods use, and its share of what the node has; -o wide adds the pods measured. */
export function renderTopNodes(nodes: NodeTop[], options: { sort?: TopSort; wide: boolean }): string {
  return renderTable(
    ["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%", ...(options.wide ? ["PODS"] : [])],
    ordered(nodes, options.sort).map((node) => [
      node.name,
      formatCpuUsage(node.cpuMillis),
      percent(node.cpuMillis, node.capacityCpuMillis),
      formatMemoryUsage(node.memoryBytes),
      percent(node.memoryBytes, node.capacityMemoryBytes),
      ...(options.wide ? [String(node.pods)] : []),
    ]),
  );
}

/** A container's usage next to its resources (which Cube enforces as limits): "cpu 998m of 1 (100%), memory 64Mi of 256Mi (25%)". */
export function usageAgainstResources(usage: ContainerUsage | undefined, resources: ResourceAmounts | undefined): string {
  if (!usage) return "";
  const cpuLimit = resources?.cpu === undefined ? undefined : cpuMillis(resources.cpu);
  const memoryLimit = resources?.memory === undefined ? undefined : memoryBytes(resources.memory);
  const against = (used: string, part: number, limit: number | undefined, limitText: string | number | undefined) =>
    limit ? `${used} of ${limitText} (${percent(part, limit)})` : used;
  return [
    `cpu ${against(formatCpuUsage(usage.cpuMillis), usage.cpuMillis, cpuLimit, resources?.cpu)}`,
    `memory ${against(formatMemoryUsage(usage.memoryBytes), usage.memoryBytes, memoryLimit, resources?.memory)}`,
  ].join(", ");
}
