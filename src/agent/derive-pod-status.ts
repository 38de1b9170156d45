import type { ContainerStatus, PodStatusReport } from "../shared/domain.js";
import type { ObservedContainer } from "./container-runtime.js";
import { newestFirst, type NodeMemory } from "./compute-pod-actions.js";
import { containerKey, type LocalPod } from "./local-pod.js";

function containerStatus(pod: LocalPod, name: string, image: string, instances: ObservedContainer[], memory: NodeMemory): ContainerStatus {
  const [newest, ...older] = newestFirst(instances);
  const base = { name, image, restartCount: older.length };
  if (!newest) {
    const pullError = memory.failedPulls.get(containerKey(pod, name));
    return pullError ? { ...base, state: "waiting", reason: "ErrImagePull", message: pullError } : { ...base, state: "waiting", reason: "ContainerCreating" };
  }
  const ids = { ...base, containerId: newest.id, startedAt: newest.startedAt };
  switch (newest.state) {
    case "running":
      return { ...ids, state: "running" };
    case "exited":
      return { ...ids, state: "terminated", exitCode: newest.exitCode, reason: newest.exitCode === 0 ? "Completed" : "Error", finishedAt: newest.finishedAt };
    case "created":
      return newest.error
        ? { ...ids, state: "terminated", exitCode: 128, reason: "StartError", message: newest.error }
        : { ...ids, state: "waiting", reason: "ContainerCreating" };
    default:
      return { ...ids, state: "waiting", reason: "ContainerCreating" };
  }
}

/** A pod's status from its containers in the engine and what the node remembers: a pure function. */
export function derivePodStatus(pod: LocalPod, observed: ObservedContainer[], memory: NodeMemory): PodStatusReport {
  const current = observed.filter((c) => c.podUid === pod.uid && c.specHash === pod.specHash);
  const sandboxRunning = current.some((c) => c.containerName === undefined && c.state === "running");
  const containers = pod.spec.containers.map((spec) =>
    containerStatus(pod, spec.name, spec.image, current.filter((c) => c.containerName === spec.name), memory),
  );
  const pullFailure = containers.find((c) => c.reason === "ErrImagePull");
  if (pullFailure) return { phase: "ErrImagePull", reason: "ErrImagePull", message: `container ${pullFailure.name}: ${pullFailure.message}`, containers };
  const failure = containers.find((c) => c.state === "terminated" && c.exitCode !== 0);
  if (failure) {
    const why = failure.reason === "StartError" ? `could not start: ${failure.message}` : `exited with code ${failure.exitCode}`;
    return { phase: "Failed", reason: failure.reason, message: `container ${failure.name} ${why}`, containers };
  }
  if (sandboxRunning && containers.every((c) => c.state === "running")) return { phase: "Running", containers };
  if (containers.every((c) => c.state === "terminated")) return { phase: "Succeeded", containers };
  return { phase: "ContainerCreating", containers };
}
