import type { PodDependency, PodPhase } from "../shared/domain.js";

/** A pod as a dependant's wait sees it: its name, its deployment, its phase and readiness. */
export interface DependencyPod {
  name: string;
  owner?: string;
  phase?: PodPhase;
  ready: boolean;
}

/**
 * Why a pod may not be placed yet: the first of its dependencies that does not hold (Compose's depends_on
 * conditions), said as the rest of "waiting for …"; undefined when all hold. `pods`: those of every workload named.
 */
export function waitingFor(dependsOn: PodDependency[], pods: DependencyPod[]): string | undefined {
  for (const { name, condition } of dependsOn) {
    const of = pods.filter((pod) => pod.owner === name || (pod.owner === undefined && pod.name === name));
    if (of.length === 0) return `${name}, which has no pod yet`;
    if (condition === "Started" && !of.some((pod) => pod.phase === "Running" || pod.phase === "Succeeded")) return `${name} to start`;
    if (condition === "Ready" && !of.some((pod) => pod.ready)) return `${name} to be ready`;
    if (condition === "Succeeded") {
      const failed = of.find((pod) => pod.phase === "Failed");
      if (failed) return `${name} to succeed (pod/${failed.name} failed: it must be run again)`;
      if (!of.every((pod) => pod.phase === "Succeeded")) return `${name} to succeed`;
    }
  }
  return undefined;
}
