import type { NodeInfo } from "../shared/domain.js";
import { totalUsage, type PodUsage, type UsageUpdate } from "../shared/usage.js";

/** A node's usage: the sum of its measured pods', against what it has. */
export interface NodeUsage {
  name: string;
  cpuMillis: number;
  memoryBytes: number;
  capacityCpuMillis: number;
  capacityMemoryBytes: number;
  pods: number;
}

/**
 * What the pods use, as their nodes last told (`cube top`): the latest figures per pod, in memory only (no history, and
 * nothing in the store: a node tells a new leader everything at its first session). A node's figures go with its
 * session: a node cut off is not shown with figures it can no longer update.
 */
export class UsageBoard {
  private readonly byPod = new Map<string, { node: string; usage: PodUsage }>();
  private readonly byNode = new Map<string, Set<string>>();

  apply(node: string, update: UsageUpdate): void {
    if (update.complete) this.forgetNode(node);
    let uids = this.byNode.get(node);
    if (!uids) this.byNode.set(node, (uids = new Set()));
    for (const uid of update.removed) {
      if (this.byPod.get(uid)?.node === node) this.byPod.delete(uid);
      uids.delete(uid);
    }
    for (const { podUid, usage } of update.pods) {
      // A pod that moved: its old node's figures go (that node says it is gone from there at its next pass).
      const before = this.byPod.get(podUid);
      if (before && before.node !== node) this.byNode.get(before.node)?.delete(podUid);
      this.byPod.set(podUid, { node, usage });
      uids.add(podUid);
    }
  }

  forgetNode(node: string): void {
    for (const uid of this.byNode.get(node) ?? []) this.byPod.delete(uid);
    this.byNode.delete(node);
  }

  ofPod(uid: string): { node: string; usage: PodUsage } | undefined {
    return this.byPod.get(uid);
  }

  ofNode(node: Pick<NodeInfo, "name" | "cpuMillis" | "memoryBytes">): NodeUsage {
    const pods = [...(this.byNode.get(node.name) ?? [])].flatMap((uid) => this.byPod.get(uid)?.usage.containers ?? []);
    return {
      name: node.name,
      ...totalUsage(pods),
      capacityCpuMillis: node.cpuMillis,
      capacityMemoryBytes: node.memoryBytes,
      pods: this.byNode.get(node.name)?.size ?? 0,
    };
  }
}
