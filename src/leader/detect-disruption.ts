import type { NodeInfo } from "../shared/domain.js";

export interface Disruption {
  notReady: number;
  followers: number;
}

/**
 * Whether so many followers are NotReady at once that the leader's own network is the likelier fault than theirs
 * (Kubernetes' node lifecycle controller calls it a full disruption, and stops evicting): at least `threshold` (a
 * fraction) of the followers, and at least two of them. The leader's own node, always reachable, does not count.
 */
export function detectDisruption(nodes: Pick<NodeInfo, "type" | "status">[], threshold: number): Disruption | undefined {
  const followers = nodes.filter((node) => node.type !== "Leader");
  const notReady = followers.filter((node) => node.status === "NotReady").length;
  return notReady >= 2 && notReady >= threshold * followers.length ? { notReady, followers: followers.length } : undefined;
}
