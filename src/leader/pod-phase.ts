import type { NodeStatus, PodPhase } from "../shared/domain.js";

/** The status `cube list` shows, from what the leader knows: deletion, placement, its node's health, the node's report. */
export function podPhase(pod: { deletionRequestedAt?: Date; node?: string; status?: { phase: PodPhase } }, nodeStatus: NodeStatus | undefined): PodPhase {
  if (pod.deletionRequestedAt) return "Terminating";
  if (!pod.node) return "Pending";
  if (nodeStatus !== "Ready") return "Unknown";
  return pod.status?.phase ?? "Pending";
}
