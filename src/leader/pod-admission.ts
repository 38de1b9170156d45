import type { PodSpec } from "../shared/domain.js";

/** What this leader admits of pods, whatever path makes them (apply, a deployment's controller, scale, undo, rollback). */
export interface AdmissionPolicy {
  /** Whether pods may mount directories of their node (`--allow-host-paths`). */
  allowHostPaths: boolean;
}

/**
 * Why pods of `spec` may not be made under `policy` (one line per problem, each at its path in what the user sent,
 * `at`), empty when they may. A host path is root on the node: only the leader's admin opts in.
 */
export function admissionProblems(spec: PodSpec, at: string, policy: AdmissionPolicy): string[] {
  if (policy.allowHostPaths) return [];
  return (spec.volumes ?? []).flatMap((volume, index) =>
    volume.hostPath
      ? [`${at}.volumes[${index}].hostPath: refused: this leader does not allow host paths (a host path is root on the node; start it with --allow-host-paths)`]
      : [],
  );
}
