// Whether a rollout has ended, and how, as a pure function: the deployment's rollout facts and its pods in, a decision
// out. A rollout fails when a pod of the new template cannot run (it crash-loops, its image cannot be pulled, the
// engine refuses it, its node gave up on it) or when it makes no progress for `progressDeadlineSeconds`; a failed
// rollout goes back to the last revision that once completed when `autoRollback` is on, and stops where it is otherwise.

import type { PodPhase } from "../../shared/domain.js";
import { isAvailableFor, isCurrent, type DeploymentIntent, type OwnedPod } from "./plan-deployment.js";

export interface RolloutFacts {
  intent: DeploymentIntent;
  progressDeadlineSeconds: number;
  autoRollback: boolean;
  /** When the current revision's rollout started, or the leader judging it, if later (it saw nothing before). */
  startedAt: number;
  /** The newest revision, other than the current one, whose rollout once completed: where a failed rollout goes back to. */
  lastCompleteRevision?: number;
}

export type RolloutDecision =
  { action: "wait" } | { action: "complete" } | { action: "rollback"; toRevision: number; reason: string } | { action: "stop"; reason: string };

/** The phases of a pod that will not serve without a change of template. */
const CANNOT_RUN: ReadonlySet<PodPhase> = new Set(["CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "CreateContainerError", "Failed"]);

export function judgeRollout(facts: RolloutFacts, pods: OwnedPod[], now: number): RolloutDecision {
  const { intent } = facts;
  const available = (pod: OwnedPod) => isAvailableFor(pod, intent.minReadySeconds, now);
  const current = pods.filter((pod) => !pod.deleting && isCurrent(pod, intent));
  const everythingCurrent = pods.length === intent.replicas && current.length === intent.replicas;
  if (everythingCurrent && current.every(available)) return { action: "complete" };

  const fail = (reason: string): RolloutDecision =>
    facts.autoRollback && facts.lastCompleteRevision !== undefined
      ? { action: "rollback", toRevision: facts.lastCompleteRevision, reason }
      : { action: "stop", reason: facts.autoRollback ? `${reason}; no earlier revision completed, nothing to roll back to` : reason };

  const broken = current.find((pod) => CANNOT_RUN.has(pod.phase));
  if (broken) return fail(`pod/${broken.name} is ${broken.phase}`);

  // Progress is a new pod created or a new pod becoming available (as Kubernetes counts it); the deadline runs from the last.
  const lastProgress = Math.max(
    facts.startedAt,
    ...current.map((pod) => pod.createdAt),
    ...current.filter(available).map((pod) => pod.readySince! + intent.minReadySeconds * 1000),
  );
  if (now - lastProgress > facts.progressDeadlineSeconds * 1000) {
    const availableCount = current.filter(available).length;
    return fail(`no progress for ${facts.progressDeadlineSeconds}s (progressDeadlineSeconds): ${availableCount} of ${intent.replicas} new replicas available`);
  }
  return { action: "wait" };
}
