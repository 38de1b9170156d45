import type { DesiredPod } from "../shared/pod-codec.js";

/** A pod as a node keeps it: one the leader assigned, or one it must still tear down. */
export interface LocalPod extends DesiredPod {
  /** No longer assigned: its containers are to be stopped and removed, then the pod forgotten. */
  terminating: boolean;
}

/** Key of a spec container of one version of a pod, for what the agent remembers about it. */
export function containerKey(pod: Pick<LocalPod, "uid" | "specHash">, containerName: string): string {
  return `${pod.uid}/${pod.specHash}/${containerName}`;
}
