import type { ContainerSpec } from "../shared/domain.js";
import type { ObservedContainer } from "./container-runtime.js";
import { containerKey, type LocalPod } from "./local-pod.js";
import type { RestartState } from "./restart-tracker.js";

/** Grace period for containers of a pod the node knows nothing about any more (e.g. after its database was lost). */
export const ORPHAN_GRACE_SECONDS = 10;

export type PodAction =
  | { type: "removeContainer"; podUid: string; container: ObservedContainer; graceSeconds: number; reason: string }
  | { type: "stopContainer"; podUid: string; container: ObservedContainer; graceSeconds: number; reason: string }
  | { type: "createSandbox"; pod: LocalPod; reason: string }
  | { type: "startContainer"; pod: LocalPod; container: ContainerSpec; sandboxId: string; reason: string };

/** What the node remembers between syncs, beyond what the engine shows. */
export interface NodeMemory {
  /** The restart tracker's state per spec container, by `containerKey`. */
  restarts: ReadonlyMap<string, RestartState>;
  now: number;
}

export const newestFirst = (containers: ObservedContainer[]) => [...containers].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());

/** A container whose process has ended, or that the engine could not start. */
export const isDead = (container: ObservedContainer) => container.state === "exited" || (container.state === "created" && container.error !== undefined);

/** App containers first: removing or stopping the pause container first would cut their network while they shut down. */
function appsFirst(containers: ObservedContainer[]): ObservedContainer[] {
  return [...containers.filter((c) => c.containerName !== undefined), ...containers.filter((c) => c.containerName === undefined)];
}

function removeAll(podUid: string, containers: ObservedContainer[], graceSeconds: number, reason: string): PodAction[] {
  return appsFirst(containers).map((container) => ({
    type: "removeContainer",
    podUid,
    container,
    graceSeconds: container.containerName === undefined ? 0 : graceSeconds,
    reason,
  }));
}

/**
 * Decides what the node must do so that its containers match its pods: a pure function of the pods it holds, the
 * containers its engine shows and what it remembers (restart back-offs, given-up containers). Per pod, the actions
 * come in the order they must run.
 */
export function computePodActions(pods: LocalPod[], observed: ObservedContainer[], memory: NodeMemory): PodAction[] {
  const actions: PodAction[] = [];
  const byPod = new Map<string, ObservedContainer[]>();
  for (const container of observed) byPod.set(container.podUid, [...(byPod.get(container.podUid) ?? []), container]);
  const known = new Set(pods.map((pod) => pod.uid));

  for (const [podUid, containers] of byPod) {
    if (!known.has(podUid)) actions.push(...removeAll(podUid, containers, ORPHAN_GRACE_SECONDS, "its pod is not assigned to this node"));
  }

  for (const pod of pods) {
    const containers = byPod.get(pod.uid) ?? [];
    const grace = pod.spec.terminationGracePeriodSeconds;
    if (pod.terminating) {
      actions.push(...removeAll(pod.uid, containers, grace, "the pod was deleted"));
      continue;
    }
    actions.push(...removeAll(pod.uid, containers.filter((c) => c.specHash !== pod.specHash), grace, "the pod's spec changed"));
    const current = containers.filter((c) => c.specHash === pod.specHash);
    const stateOf = (name: string) => memory.restarts.get(containerKey(pod, name));

    const instancesOf = (name: string) => newestFirst(current.filter((c) => c.containerName === name));
    const removeOldInstances = () => {
      for (const spec of pod.spec.containers) {
        // Keep the newest instance and, when it is not dead itself, the last dead one (for `logs --previous`).
        const [newest, ...older] = instancesOf(spec.name);
        const previous = newest && !isDead(newest) ? older.find(isDead) : undefined;
        actions.push(...removeAll(pod.uid, older.filter((c) => c !== previous), grace, `container ${spec.name} has newer instances`));
      }
    };

    const givenUp = pod.spec.containers.find((spec) => stateOf(spec.name)?.gaveUp);
    if (givenUp) {
      removeOldInstances();
      // The pod is Failed: stop what still runs and keep every container for inspection (logs).
      for (const container of appsFirst(current.filter((c) => c.state === "running"))) {
        const graceSeconds = container.containerName === undefined ? 0 : grace;
        actions.push({ type: "stopContainer", podUid: pod.uid, container, graceSeconds, reason: `the node gave up on container ${givenUp.name}` });
      }
      continue;
    }

    const sandboxes = newestFirst(current.filter((c) => c.containerName === undefined));
    const sandbox = sandboxes.find((c) => c.state === "running");
    if (!sandbox) {
      // Without its sandbox a pod has no network: start it over.
      actions.push(...removeAll(pod.uid, current, grace, "the pod's sandbox is not running"));
      actions.push({ type: "createSandbox", pod, reason: sandboxes.length > 0 ? "the pod's sandbox stopped" : "the pod has no sandbox yet" });
      continue;
    }
    actions.push(...removeAll(pod.uid, sandboxes.filter((c) => c !== sandbox), 0, "a pod has a single sandbox"));
    removeOldInstances();

    for (const spec of pod.spec.containers) {
      const [newest] = instancesOf(spec.name);
      const state = stateOf(spec.name);
      const waiting = state?.retryAt !== undefined && memory.now < state.retryAt;
      const start = { type: "startContainer", pod, container: spec, sandboxId: sandbox.id } as const;
      if (!newest) {
        if (!waiting) actions.push({ ...start, reason: state?.lastFailure?.kind === "pull" ? `retrying the pull of ${spec.image}` : `container ${spec.name} does not exist yet` });
      } else if (newest.state === "created" && !newest.error) {
        // Created but never started (the node stopped in between): start over with a fresh one.
        actions.push(...removeAll(pod.uid, [newest], 0, `container ${spec.name} was never started`));
        actions.push({ ...start, reason: `container ${spec.name} was never started` });
      } else if (isDead(newest) && state?.lastCounted === newest.id && state.retryAt !== undefined && !waiting) {
        actions.push({ ...start, reason: `restarting container ${spec.name} after its back-off` });
      }
    }
  }
  return actions;
}
