import type { ObservedContainer } from "./container-runtime.js";
import type { LocalPod } from "./local-pod.js";

/** What the node knows of the containers its engine shows: which are dead, which is newest, why one ended. */

export const newestFirst = (containers: ObservedContainer[]) => [...containers].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());

/** A container whose process has ended, or that the engine could not start. */
export const isDead = (container: ObservedContainer) => container.state === "exited" || (container.state === "created" && container.error !== undefined);

/** The pod's pause container (which owns its network) has no spec container name. */
export const isSandbox = (container: ObservedContainer) => container.containerName === undefined;

/** App containers first: removing or stopping the pause container first would cut their network while they shut down. */
export function appsFirst(containers: ObservedContainer[]): ObservedContainer[] {
  return [...containers.filter((c) => !isSandbox(c)), ...containers.filter(isSandbox)];
}

/** The containers of each pod, by pod uid: what one pod's decisions look at, found without scanning every container. */
export function containersByPod(observed: ObservedContainer[]): Map<string, ObservedContainer[]> {
  const byPod = new Map<string, ObservedContainer[]>();
  for (const container of observed) {
    const containers = byPod.get(container.podUid);
    if (containers) containers.push(container);
    else byPod.set(container.podUid, [container]);
  }
  return byPod;
}

/** The containers of the pod's current spec. */
export function currentContainers(observed: ObservedContainer[], pod: Pick<LocalPod, "uid" | "specHash">): ObservedContainer[] {
  return observed.filter((c) => c.podUid === pod.uid && c.specHash === pod.specHash);
}

/** The instances of one spec container of the pod's current spec, newest first. */
export function instancesOf(observed: ObservedContainer[], pod: Pick<LocalPod, "uid" | "specHash">, containerName: string): ObservedContainer[] {
  return newestFirst(currentContainers(observed, pod).filter((c) => c.containerName === containerName));
}

/** Why a dead container ended, in Kubernetes' words. */
export function exitReason(container: ObservedContainer): string {
  if (container.state === "created" && container.error) return "StartError";
  if (container.oomKilled) return "OOMKilled";
  return container.exitCode === 0 ? "Completed" : "Error";
}

/** A dead container's exit code; one the engine could not start has none, and counts as 128. */
export const exitCodeOf = (container: ObservedContainer) => (container.state === "created" ? 128 : (container.exitCode ?? 0));
