import type { ContainerStatus, PodPhase, PodStatusReport } from "../shared/domain.js";
import type { NodeMemory } from "./compute-pod-actions.js";
import type { ObservedContainer } from "./container-runtime.js";
import { containerKey, type LocalPod } from "./local-pod.js";
import { currentContainers, exitCodeOf, exitReason, isDead, isSandbox, newestFirst } from "./observed-containers.js";
import type { RestartState } from "./restart-tracker.js";

function containerStatus(
  name: string,
  image: string,
  instances: ObservedContainer[],
  state: RestartState | undefined,
  now: number,
  configProblem: string | undefined,
): ContainerStatus {
  const [newest] = newestFirst(instances);
  const base = { name, image, restartCount: state?.restarts ?? 0 };
  const backingOff = state?.retryAt !== undefined && now < state.retryAt;
  if (!newest) {
    if (state?.lastFailure?.kind === "pull" && (backingOff || state.gaveUp)) {
      const reason = state.failures <= 1 || state.gaveUp ? "ErrImagePull" : "ImagePullBackOff";
      return { ...base, state: "waiting", reason, message: state.lastFailure.message };
    }
    if (state?.lastFailure?.kind === "create" && (backingOff || state.gaveUp)) {
      return { ...base, state: "waiting", reason: "CreateContainerError", message: state.lastFailure.message };
    }
    if (configProblem) return { ...base, state: "waiting", reason: "CreateContainerConfigError", message: configProblem };
    return { ...base, state: "waiting", reason: "ContainerCreating" };
  }
  const instance = { ...base, containerId: newest.id, startedAt: newest.startedAt };
  if (newest.state === "running") return { ...instance, state: "running" };
  if (isDead(newest)) {
    if (state?.retryAt !== undefined) {
      return { ...instance, state: "waiting", reason: "CrashLoopBackOff", message: state.lastFailure?.message, exitCode: newest.exitCode };
    }
    return { ...instance, state: "terminated", exitCode: exitCodeOf(newest), reason: exitReason(newest), message: newest.error, finishedAt: newest.finishedAt };
  }
  return { ...instance, state: "waiting", reason: "ContainerCreating" };
}

/** The first phase, by precedence, that some container calls for. */
const WAITING_PHASES: PodPhase[] = ["ImagePullBackOff", "ErrImagePull", "CreateContainerError", "CreateContainerConfigError", "CrashLoopBackOff"];

/** A pod's status from its containers in the engine and what the node remembers: a pure function. */
export function derivePodStatus(pod: LocalPod, observed: ObservedContainer[], memory: NodeMemory): PodStatusReport {
  const current = currentContainers(observed, pod);
  const sandbox = current.find((c) => isSandbox(c) && c.state === "running");
  const status = statusOf(pod, current, sandbox !== undefined, memory);
  const used = memory.used?.get(pod.uid);
  return { ...status, ...(sandbox?.podIp ? { podIp: sandbox.podIp } : {}), ...(used?.length ? { used } : {}) };
}

function statusOf(pod: LocalPod, current: ObservedContainer[], sandboxRunning: boolean, memory: NodeMemory): PodStatusReport {
  const states = pod.spec.containers.map((spec) => memory.restarts.get(containerKey(pod, spec.name)));
  const containers = pod.spec.containers.map((spec, index) =>
    containerStatus(
      spec.name,
      spec.image,
      current.filter((c) => c.containerName === spec.name),
      states[index],
      memory.now,
      memory.configProblems?.get(pod.uid),
    ),
  );

  const gaveUp = states.find((state) => state?.gaveUp)?.gaveUp;
  if (gaveUp) return { phase: "Failed", reason: "BackOffLimitReached", message: gaveUp, containers };
  const failure = containers.find((c) => c.state === "terminated" && c.exitCode !== 0);
  if (failure) {
    const why = failure.reason === "StartError" ? `could not start: ${failure.message}` : `exited with code ${failure.exitCode} (${failure.reason})`;
    return { phase: "Failed", reason: failure.reason, message: `container ${failure.name} ${why}`, containers };
  }
  for (const phase of WAITING_PHASES) {
    const waiting = containers.find((c) => c.reason === phase);
    if (waiting) return { phase, reason: phase, message: `container ${waiting.name}: ${waiting.message}`, containers };
  }
  if (containers.every((c) => c.state === "terminated")) return { phase: "Succeeded", containers };
  if (sandboxRunning && containers.every((c) => c.state === "running" || c.state === "terminated")) {
    // A container is ready when it runs and its probes say so (no probes: running is ready).
    const withReady = containers.map((c) => ({ ...c, ready: c.state === "running" && (memory.probes?.get(c.containerId!)?.ready ?? true) }));
    return { phase: "Running", containers: withReady, ready: withReady.every((c) => c.ready || c.state === "terminated") };
  }
  return { phase: "ContainerCreating", containers };
}
