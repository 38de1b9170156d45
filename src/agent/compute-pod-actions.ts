import type { ContainerSpec, UsedRevision } from "../shared/domain.js";
import type { ObservedContainer } from "./container-runtime.js";
import { containerKey, type LocalPod } from "./local-pod.js";
import { appsFirst, containersByPod, currentContainers, instancesOf, isDead, isSandbox, newestFirst } from "./observed-containers.js";
import type { RestartState } from "./restart-tracker.js";
import type { PodNetworkState } from "./network/pod-network.js";

/** Grace period for containers of a pod the node knows nothing about any more (e.g. after its database was lost). */
export const ORPHAN_GRACE_SECONDS = 10;

export type PodAction =
  | { type: "removeContainer"; container: ObservedContainer; graceSeconds: number; reason: string }
  | { type: "stopContainer"; container: ObservedContainer; graceSeconds: number; reason: string }
  | { type: "createSandbox"; pod: LocalPod; reason: string }
  /** Takes a sandbox of the node's warm pool for the pod: its network is ready, nothing to wait for. */
  | { type: "claimSandbox"; pod: LocalPod; sandbox: ObservedContainer; reason: string }
  /** Made ahead of need, for no pod yet. */
  | { type: "createWarmSandbox"; reason: string }
  /** `sandboxId` absent: the sandbox that an earlier action of the same plan creates. */
  | { type: "startContainer"; pod: LocalPod; container: ContainerSpec; sandboxId?: string; reason: string };

/** What one pod needs, in the order the actions must run. */
export interface PodPlan {
  podUid: string;
  actions: PodAction[];
}

/** What the node remembers between syncs, beyond what the engine shows. */
export interface NodeMemory {
  /** The restart tracker's state per spec container, by `containerKey`. */
  restarts: ReadonlyMap<string, RestartState>;
  now: number;
  /** What the probes say of each running container that has some, by container id (absent: nothing to say). */
  probes?: ReadonlyMap<string, { ready: boolean; unhealthy?: string }>;
  /** Warm sandboxes that a pod's worker is claiming now: no other pod may take them. */
  claiming?: ReadonlySet<string>;
  /** The node's pod network; absent when it has none (sandboxes go on the engine's default bridge). */
  network?: PodNetworkState;
  /**
   * Pods whose containers cannot be made yet, with why (a secret or config they use is missing: kubelet's
   * CreateContainerConfigError); what runs of them keeps running.
   */
  configProblems?: ReadonlyMap<string, string>;
  /** The revisions of the secrets and configs each pod uses, as the node holds them. */
  used?: ReadonlyMap<string, UsedRevision[]>;
}

/** The engine's name for the node's own network, which a `hostNetwork` pod's sandbox is on. */
export const HOST_NETWORK = "host";

/**
 * Whether a sandbox is where the node's sandboxes go now: the node's own network for a `hostNetwork` pod, else the pod
 * network (any network, for a node without one).
 */
export function onPodNetwork(sandbox: ObservedContainer, network: PodNetworkState | undefined, pod?: LocalPod): boolean {
  if (pod?.spec.hostNetwork) return sandbox.network === HOST_NETWORK;
  return !network || sandbox.network === network.name;
}

/**
 * A pod can take a warm sandbox unless it publishes host ports (set when a sandbox is created), sets its hostname, or
 * uses the node's network.
 */
export const canUseWarmSandbox = (pod: LocalPod) => pod.hostPorts.length === 0 && pod.spec.hostname === undefined && !pod.spec.hostNetwork;

const TERMINATION_REASONS = {
  deleted: "the pod was deleted",
  unassigned: "the pod is no longer assigned to this node",
} as const;

function removeAll(containers: ObservedContainer[], graceSeconds: number, reason: string): PodAction[] {
  return appsFirst(containers).map((container) => ({ type: "removeContainer", container, graceSeconds: isSandbox(container) ? 0 : graceSeconds, reason }));
}

/** What a pod the node runs needs so that its current containers match its spec; `warm` is taken from when it needs a sandbox. */
function runningPodActions(pod: LocalPod, containers: ObservedContainer[], memory: NodeMemory, warm: ObservedContainer[]): PodAction[] {
  const grace = pod.spec.terminationGracePeriodSeconds;
  const actions = removeAll(
    containers.filter((c) => c.specHash !== pod.specHash),
    grace,
    "the pod's spec changed",
  );
  const current = currentContainers(containers, pod);
  const stateOf = (name: string) => memory.restarts.get(containerKey(pod, name));
  const removeOldInstances = () => {
    for (const spec of pod.spec.containers) {
      // Keep the newest instance and, when it is not dead itself, the last dead one (for `logs --previous`).
      const [newest, ...older] = instancesOf(containers, pod, spec.name);
      const previous = newest && !isDead(newest) ? older.find(isDead) : undefined;
      actions.push(
        ...removeAll(
          older.filter((c) => c !== previous),
          grace,
          `container ${spec.name} has newer instances`,
        ),
      );
    }
  };

  const givenUp = pod.spec.containers.find((spec) => stateOf(spec.name)?.gaveUp);
  if (givenUp) {
    removeOldInstances();
    // The pod is Failed: stop what still runs and keep every container for inspection (logs).
    for (const container of appsFirst(current.filter((c) => c.state === "running"))) {
      const graceSeconds = isSandbox(container) ? 0 : grace;
      actions.push({ type: "stopContainer", container, graceSeconds, reason: `the node gave up on container ${givenUp.name}` });
    }
    return actions;
  }

  const sandboxes = newestFirst(current.filter(isSandbox));
  const running = sandboxes.find((c) => c.state === "running");
  // A sandbox made before the node had its pod network (or on an older one) is replaced once the network is ready, as
  // kubelet does when a pod's sandbox changed: the pod starts again, with an address other pods reach.
  const misplaced = running && (memory.network?.ready || pod.spec.hostNetwork) && !onPodNetwork(running, memory.network, pod);
  const sandbox = misplaced ? undefined : running;
  const blocked = memory.configProblems?.has(pod.uid) ?? false;
  if (!sandbox) {
    // Sandboxes wait for the node's pod network to be ready (the pod stays ContainerCreating), and for what the pod's
    // containers need of secrets and configs (CreateContainerConfigError).
    if (memory.network && !memory.network.ready && !pod.spec.hostNetwork) return actions;
    if (blocked) return actions;
    // Without its sandbox a pod has no network: start it over, its containers in the same plan as their new sandbox.
    const why = misplaced
      ? `the pod's sandbox is not on ${pod.spec.hostNetwork ? "the node's own network" : `the node's pod network ${memory.network!.name}`}: the pod starts again on it`
      : sandboxes.length > 0
        ? "the pod's sandbox stopped"
        : "the pod has no sandbox yet";
    actions.push(...removeAll(current, grace, misplaced ? why : "the pod's sandbox is not running"));
    const claimed = canUseWarmSandbox(pod) ? warm.shift() : undefined;
    actions.push(
      claimed ? { type: "claimSandbox", pod, sandbox: claimed, reason: `${why}: a warm one is ready` } : { type: "createSandbox", pod, reason: why },
    );
    actions.push(...containerActions(pod, [], claimed?.id, memory));
    return actions;
  }
  actions.push(
    ...removeAll(
      sandboxes.filter((c) => c !== sandbox),
      0,
      "a pod has a single sandbox",
    ),
  );
  removeOldInstances();
  actions.push(...containerActions(pod, containers, sandbox.id, memory));
  return actions;
}

/** What the pod's spec containers need, in the sandbox `sandboxId` (undefined: the one the plan creates). */
function containerActions(pod: LocalPod, containers: ObservedContainer[], sandboxId: string | undefined, memory: NodeMemory): PodAction[] {
  const actions: PodAction[] = [];
  for (const spec of pod.spec.containers) {
    const [newest] = instancesOf(containers, pod, spec.name);
    const state = memory.restarts.get(containerKey(pod, spec.name));
    const unhealthy = newest?.state === "running" ? memory.probes?.get(newest.id)?.unhealthy : undefined;
    if (unhealthy) {
      // Stopped, its exit counts as a failure (Unhealthy) with the restart tracker: restarted after its back-off.
      const grace = pod.spec.terminationGracePeriodSeconds;
      actions.push({ type: "stopContainer", container: newest!, graceSeconds: grace, reason: `container ${spec.name} is unhealthy (${unhealthy})` });
      continue;
    }
    const waiting = state?.retryAt !== undefined && memory.now < state.retryAt;
    const start = { type: "startContainer", pod, container: spec, ...(sandboxId === undefined ? {} : { sandboxId }) } as const;
    if (memory.configProblems?.has(pod.uid)) continue;
    if (!newest) {
      if (!waiting)
        actions.push({
          ...start,
          reason: state?.lastFailure?.kind === "pull" ? `retrying the pull of ${spec.image}` : `container ${spec.name} does not exist yet`,
        });
    } else if (newest.state === "created" && !newest.error) {
      // Created but never started (the node stopped in between): start over with a fresh one.
      actions.push(...removeAll([newest], 0, `container ${spec.name} was never started`));
      actions.push({ ...start, reason: `container ${spec.name} was never started` });
    } else if (isDead(newest) && state?.lastCounted === newest.id && state.retryAt !== undefined && !waiting) {
      actions.push({ ...start, reason: `restarting container ${spec.name} after its back-off` });
    }
  }
  return actions;
}

/**
 * Decides what the node must do so that its containers match its pods: a pure function of the pods it holds, the
 * containers its engine shows and what it remembers (restart back-offs, given-up containers). One plan per pod that
 * needs anything, its actions in the order they must run; containers of pods the node does not know are removed.
 */
export function computePodActions(pods: LocalPod[], observed: ObservedContainer[], memory: NodeMemory): PodPlan[] {
  const warm = observed.filter((c) => c.warm && c.state === "running" && !memory.claiming?.has(c.id) && onPodNetwork(c, memory.network));
  const byPod = containersByPod(observed.filter((c) => !c.warm));
  const plans: PodPlan[] = [];
  const plan = (podUid: string, actions: PodAction[]) => actions.length > 0 && plans.push({ podUid, actions });

  const known = new Set(pods.map((pod) => pod.uid));
  for (const [podUid, containers] of byPod) {
    if (!known.has(podUid)) plan(podUid, removeAll(containers, ORPHAN_GRACE_SECONDS, "its pod is not assigned to this node"));
  }
  for (const pod of pods) {
    const containers = byPod.get(pod.uid) ?? [];
    if (pod.termination) plan(pod.uid, removeAll(containers, pod.spec.terminationGracePeriodSeconds, TERMINATION_REASONS[pod.termination]));
    else plan(pod.uid, runningPodActions(pod, containers, memory, warm));
  }
  return plans;
}
