// The deployment controller's decisions, as a pure function: the desired deployment and the pods it owns in, the pods
// to create and to delete, each with a reason, out (`judgeRollout` says when a rollout ends). Kubernetes' rules: a
// rolling update keeps at most `replicas + maxSurge` pods and at least `replicas - maxUnavailable` available ones;
// `Recreate` removes every old pod before it creates a new one.

import type { OwnedPod } from "../store/leader-rows.js";

export type Strategy = { type: "RollingUpdate"; maxSurge: number | string; maxUnavailable: number | string } | { type: "Recreate" };

export interface DeploymentIntent {
  replicas: number;
  /** The hash of the current template: pods with another are old. */
  templateHash: string;
  strategy: Strategy;
  /** A pod counts as available once it has been ready this long. */
  minReadySeconds: number;
}

export type { OwnedPod };

export interface DeploymentPlan {
  /** New pods (of the current template) to create. */
  create: number;
  delete: { name: string; reason: string }[];
}

/** "25%" of `replicas`, rounded up (surge) or down (unavailability), or a number as it is. */
export function resolveBound(bound: number | string, replicas: number, round: "up" | "down"): number {
  if (typeof bound === "number") return bound;
  const share = (Number(bound.slice(0, -1)) / 100) * replicas;
  return round === "up" ? Math.ceil(share) : Math.floor(share);
}

/** Of the current template and staying where it is: a pod being evicted counts as an old one. */
export const isCurrent = (pod: OwnedPod, intent: Pick<DeploymentIntent, "templateHash">) => pod.templateHash === intent.templateHash && !pod.evicting;

/** Ready for at least `minReadySeconds`: it serves, and has for long enough to be trusted. */
export const isAvailableFor = (pod: OwnedPod, minReadySeconds: number, now: number) =>
  pod.readySince !== undefined && now - pod.readySince >= minReadySeconds * 1000;
const oldestFirst = (a: OwnedPod, b: OwnedPod) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1);
const newestFirst = (a: OwnedPod, b: OwnedPod) => -oldestFirst(a, b);

export function planDeployment(intent: DeploymentIntent, pods: OwnedPod[], now: number): DeploymentPlan {
  const isAvailable = (pod: OwnedPod) => isAvailableFor(pod, intent.minReadySeconds, now);
  const remove: DeploymentPlan["delete"] = [];
  // A pod its node gave up on never serves again: it goes, and counts no more.
  const failed = pods.filter((pod) => !pod.deleting && pod.phase === "Failed");
  for (const pod of failed) remove.push({ name: pod.name, reason: "failed: replaced by a new pod" });
  const live = pods.filter((pod) => !pod.deleting && pod.phase !== "Failed");
  const current = live.filter((pod) => isCurrent(pod, intent));
  const old = live.filter((pod) => !isCurrent(pod, intent));

  // No rollout: scale to the replicas, removing the pods that serve least first (not ready, then the newest).
  const scale = (): DeploymentPlan => {
    const excess = current.length - intent.replicas;
    const byUse = [...current].sort((a, b) => Number(isAvailable(a)) - Number(isAvailable(b)) || newestFirst(a, b));
    for (const pod of byUse.slice(0, Math.max(0, excess))) remove.push({ name: pod.name, reason: `scaled down to ${intent.replicas}` });
    return { create: Math.max(0, -excess), delete: remove };
  };

  if (intent.strategy.type === "Recreate") {
    // Every old pod goes, and new ones come only once the old ones are gone (those being deleted included).
    if (pods.every((pod) => isCurrent(pod, intent))) return scale();
    for (const pod of old)
      remove.push({ name: pod.name, reason: pod.evicting ? "its node is being drained" : "Recreate: every old pod goes before a new one starts" });
    return { create: 0, delete: remove };
  }
  if (old.length === 0) return scale();

  const maxSurge = resolveBound(intent.strategy.maxSurge, intent.replicas, "up");
  const maxUnavailable = resolveBound(intent.strategy.maxUnavailable, intent.replicas, "down");
  // New pods, within the surge.
  const create = Math.max(0, Math.min(intent.replicas - current.length, intent.replicas + maxSurge - live.length));
  // Old pods that serve nobody go first: removing them costs no availability.
  const oldUnavailable = old.filter((pod) => !isAvailable(pod));
  for (const pod of oldUnavailable) {
    remove.push({ name: pod.name, reason: pod.evicting ? "its node is being drained" : "rolling update: an old pod that is not available" });
  }
  // Then old available ones, the oldest first, as far as the floor of available replicas allows.
  const availableNow = live.filter(isAvailable).length;
  const floor = intent.replicas - maxUnavailable;
  const room = Math.max(0, availableNow - floor);
  for (const pod of old.filter(isAvailable).sort(oldestFirst).slice(0, room)) {
    const why = pod.evicting ? "its node is being drained: replaced elsewhere" : "rolling update: replaced by the new template";
    remove.push({ name: pod.name, reason: `${why} (${availableNow} available, at least ${floor} kept)` });
  }
  return { create, delete: remove };
}

/** A deployment's replicas as `cube list` counts them (Kubernetes' readyReplicas, updatedReplicas, availableReplicas). */
export interface ReplicaCounts {
  replicas: number;
  /** Pods ready now, of any template. */
  ready: number;
  /** Pods of the current template. */
  updated: number;
  /** Pods available (ready for minReadySeconds), of any template. */
  available: number;
}

export function countReplicas(intent: DeploymentIntent, pods: OwnedPod[], now: number): ReplicaCounts {
  const live = pods.filter((pod) => !pod.deleting);
  return {
    replicas: intent.replicas,
    ready: live.filter((pod) => pod.readySince !== undefined).length,
    updated: live.filter((pod) => isCurrent(pod, intent)).length,
    available: live.filter((pod) => isAvailableFor(pod, intent.minReadySeconds, now)).length,
  };
}
