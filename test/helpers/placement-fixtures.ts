import type { PlacementCandidate } from "../../src/leader/place-pod.js";

export const GI = 2 ** 30;

/** A Ready node of 4 CPUs and 8 GiB, idle, with `change` applied: the base of placement's tables. */
export function idleNode(name: string, change: Partial<PlacementCandidate> = {}): PlacementCandidate {
  return {
    name,
    status: "Ready",
    labels: {},
    capacity: { cpuMillis: 4000, memoryBytes: 8 * GI },
    allocated: { cpuMillis: 0, memoryBytes: 0, pods: 0 },
    takenPorts: [],
    ...change,
  };
}
