import type { DesiredPod, PodSpec } from "../shared/domain.js";

/** Why a node tears a pod down: it was deleted, or it is no longer placed on this node (it was moved elsewhere). */
export type Termination = "deleted" | "unassigned";

/** A pod as a node keeps it: one placed on it, or one it must still tear down. */
export interface LocalPod extends Omit<DesiredPod, "deleting" | "specJson"> {
  spec: PodSpec;
  /** Set when its containers are to be stopped and removed, then the pod forgotten. */
  termination?: Termination;
}

/** Key of a spec container of one version of a pod, for what the agent remembers about it. */
export function containerKey(pod: Pick<LocalPod, "uid" | "specHash">, containerName: string): string {
  return `${pod.uid}/${pod.specHash}/${containerName}`;
}
