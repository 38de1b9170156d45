import { placePod, type HostPortNeed, type PlacementCandidate, type PlacementSettings, type PodNeeds, type TakenPort } from "./place-pod.js";

/** A pod of a placement round: what placement must know of it, and the caller's own record of it. */
export interface RoundPod<P> {
  pod: P;
  needs: PodNeeds;
}

export interface PlacementRound<P> {
  /** In the order of the round, each with its node and the host port chosen for each "auto" one. */
  placed: { pod: P; node: string; autoPorts: number[] }[];
  unplaceable: { pod: P; reason: string }[];
}

/**
 * One placement round: each pod in turn where `placePod` puts it, what it takes counting for the pods after it (CPU,
 * memory, the pod count, host ports on every node of its engine, its deployment's replicas there). The candidates
 * given are left as they were. Yields between pods, so that a round of 10 000 runs in slices (`runInSlices`).
 */
export function* placingPods<P>(
  pods: RoundPod<P>[],
  candidates: PlacementCandidate[],
  settings: PlacementSettings,
): Generator<void, PlacementRound<P>, undefined> {
  // The round's own accounting, from copies; nodes that shared one list of taken ports (one engine) still share one.
  const portLists = new Map<TakenPort[], TakenPort[]>();
  const nodes = candidates.map((node) => {
    if (!portLists.has(node.takenPorts)) portLists.set(node.takenPorts, [...node.takenPorts]);
    return { ...node, allocated: { ...node.allocated }, takenPorts: portLists.get(node.takenPorts)!, owners: new Map(node.owners) };
  });
  const round: PlacementRound<P> = { placed: [], unplaceable: [] };
  for (const { pod, needs } of pods) {
    yield;
    const placement = placePod(needs, nodes, settings);
    if (!("node" in placement)) {
      round.unplaceable.push({ pod, reason: placement.reason });
      continue;
    }
    round.placed.push({ pod, node: placement.node, autoPorts: placement.autoPorts });
    const chosen = nodes.find((node) => node.name === placement.node)!;
    chosen.allocated = {
      cpuMillis: chosen.allocated.cpuMillis + needs.cpuMillis,
      memoryBytes: chosen.allocated.memoryBytes + needs.memoryBytes,
      pods: chosen.allocated.pods + 1,
    };
    chosen.takenPorts.push(...portsTaken(needs.hostPorts, placement.autoPorts));
    if (needs.owner) chosen.owners.set(needs.owner, (chosen.owners.get(needs.owner) ?? 0) + 1);
  }
  return round;
}

/** The host ports a placed pod takes: each "auto" one the next of `autoPorts`, as its node publishes them. */
function portsTaken(needs: HostPortNeed[], autoPorts: number[]): TakenPort[] {
  let next = 0;
  return needs.map((need) => ({ hostPort: need.hostPort === "auto" ? autoPorts[next++] : need.hostPort, protocol: need.protocol, hostIP: need.hostIP || "*" }));
}
