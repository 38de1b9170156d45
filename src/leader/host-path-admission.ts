import type { PodSpec } from "../shared/domain.js";

/**
 * Why a pod spec may not run on a leader that does not allow host paths (one line per hostPath volume, each at its
 * path in what the user sent, `at`), empty when it may. A host path is root on the node: only the leader's admin opts in.
 */
export function hostPathRefusals(spec: PodSpec, at: string): string[] {
  return (spec.volumes ?? []).flatMap((volume, index) =>
    volume.hostPath
      ? [`${at}.volumes[${index}].hostPath: refused: this leader does not allow host paths (a host path is root on the node; start it with --allow-host-paths)`]
      : [],
  );
}
