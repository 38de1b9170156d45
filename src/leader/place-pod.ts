import type { NodeStatus } from "../shared/domain.js";

export interface PlacementCandidate {
  name: string;
  status: NodeStatus;
  /** Pods placed on the node and not yet deleted. */
  podCount: number;
}

export type Placement = { node: string } | { reason: string };

/** Where a pod goes: the Ready node running the fewest pods, ties broken by name so the choice is deterministic. */
export function placePod(candidates: PlacementCandidate[]): Placement {
  const ready = candidates.filter((node) => node.status === "Ready");
  if (ready.length === 0) {
    return { reason: candidates.length === 0 ? "no node has joined the cluster" : `0/${candidates.length} nodes are Ready` };
  }
  const [best] = [...ready].sort((a, b) => a.podCount - b.podCount || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { node: best.name };
}
