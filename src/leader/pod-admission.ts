import type { PodSpec } from "../shared/domain.js";

/** What this leader admits of pods, whatever path makes them (apply, a deployment's controller, scale, undo, rollback). */
export interface AdmissionPolicy {
  /** Whether pods may mount directories of their node (`--allow-host-paths`). */
  allowHostPaths: boolean;
  /** Whether pods may use their node's network (`--allow-host-network`). */
  allowHostNetwork: boolean;
  /** Whether containers may add capabilities beyond Docker's default set (`--allow-capabilities`). */
  allowCapabilities: boolean;
}

/** Docker's default capabilities: adding one back (after dropping ALL) gives no more than a container has by default. */
const DOCKER_DEFAULT_CAPABILITIES = new Set([
  "CHOWN",
  "DAC_OVERRIDE",
  "FSETID",
  "FOWNER",
  "MKNOD",
  "NET_RAW",
  "SETGID",
  "SETUID",
  "SETFCAP",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "KILL",
  "AUDIT_WRITE",
]);

/**
 * Why pods of `spec` may not be made under `policy` (one line per problem, each at its path in what the user sent,
 * `at`), empty when they may. A host path is root on the node, and the host's network lets a pod listen on the node's
 * addresses and see all its traffic: only the leader's admin opts in.
 */
export function admissionProblems(spec: PodSpec, at: string, policy: AdmissionPolicy): string[] {
  const hostPaths = policy.allowHostPaths
    ? []
    : (spec.volumes ?? []).flatMap((volume, index) =>
        volume.hostPath
          ? [
              `${at}.volumes[${index}].hostPath: refused: this leader does not allow host paths (a host path is root on the node; start it with --allow-host-paths)`,
            ]
          : [],
      );
  const hostNetwork =
    spec.hostNetwork && !policy.allowHostNetwork
      ? [
          `${at}.hostNetwork: refused: this leader does not allow pods on their node's network (such a pod can listen on the node's addresses and see its traffic; start the leader with --allow-host-network)`,
        ]
      : [];
  const capabilities = policy.allowCapabilities
    ? []
    : spec.containers.flatMap((container, c) =>
        (container.securityContext?.capabilities?.add ?? [])
          .filter((name) => !DOCKER_DEFAULT_CAPABILITIES.has(name.replace(/^CAP_/, "")))
          .map(
            (name) =>
              `${at}.containers[${c}].securityContext.capabilities.add: refused: ${name} is beyond Docker's default capabilities, which this leader does not allow (it gives power over the node; start the leader with --allow-capabilities)`,
          ),
      );
  return [...hostPaths, ...hostNetwork, ...capabilities];
}
