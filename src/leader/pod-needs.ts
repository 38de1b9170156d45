import type { PodSpec, PublishedPort } from "../shared/domain.js";
import { cpuMillis, memoryBytes } from "../shared/quantities.js";
import { canonicalJson } from "./spec-hash.js";
import type { PodNeeds, TakenPort } from "./place-pod.js";

/** What a pod requests of its node: the sums over its containers. */
export function podRequests(spec: PodSpec): { cpuMillis: number; memoryBytes: number } {
  let cpu = 0;
  let memory = 0;
  for (const { resources } of spec.containers) {
    cpu += resources?.cpu === undefined ? 0 : (cpuMillis(resources.cpu) ?? 0);
    memory += resources?.memory === undefined ? 0 : (memoryBytes(resources.memory) ?? 0);
  }
  return { cpuMillis: cpu, memoryBytes: memory };
}

/**
 * Whether the pod keeps data on its node that no other node has (a persistent volume of its own): it then runs there
 * and nowhere else. A deployment's replica does not: its persistent volumes are its deployment's on each node (as a
 * Swarm service's named volume), so it may run anywhere, finding there what that node holds.
 */
export const keepsDataOnItsNode = (pod: { spec: PodSpec; owner?: string }) =>
  pod.owner === undefined && (pod.spec.volumes ?? []).some((volume) => volume.persistent);

/** What placement must know of a pod. */
export function podNeeds(spec: PodSpec, boundTo: string | undefined): PodNeeds {
  return {
    ...podRequests(spec),
    hostPorts: spec.containers.flatMap((container) =>
      (container.ports ?? []).flatMap(({ hostPort, protocol, hostIP }) => (hostPort === undefined ? [] : [{ hostPort, protocol, hostIP }])),
    ),
    nodeSelector: spec.nodeSelector ?? {},
    boundTo,
  };
}

/** The ports the pod's node publishes: its host ports, each "auto" one given the next of `autoPorts` in order. */
export function publishedPorts(spec: PodSpec, autoPorts: number[]): PublishedPort[] {
  let next = 0;
  return spec.containers.flatMap((container) =>
    (container.ports ?? []).flatMap(({ containerPort, hostPort, protocol, hostIP }) =>
      hostPort === undefined
        ? []
        : [{ container: container.name, containerPort, protocol, hostAddress: hostIP ?? "", hostPort: hostPort === "auto" ? autoPorts[next++] : hostPort }],
    ),
  );
}

/** The "auto" ports a pod already has, for a new spec of it: kept where the same container port is still auto. */
export function keptAutoPorts(spec: PodSpec, previous: PublishedPort[]): number[] | undefined {
  const autos = spec.containers.flatMap((container) =>
    (container.ports ?? []).filter((port) => port.hostPort === "auto").map((port) => ({ container: container.name, ...port })),
  );
  const kept = autos.map(
    (auto) => previous.find((p) => p.container === auto.container && p.containerPort === auto.containerPort && p.protocol === auto.protocol)?.hostPort,
  );
  return kept.every((port) => port !== undefined) ? (kept as number[]) : undefined;
}

export const takenBy = (ports: PublishedPort[]): TakenPort[] =>
  ports.map(({ hostPort, protocol, hostAddress }) => ({ hostPort, protocol, hostIP: hostAddress || "*" }));

/**
 * Whether a pod whose spec changed keeps its place: on its node, with its host ports ("auto" ones kept), if it still
 * needs what it needed there; undefined when it is to be placed anew (or was not placed).
 */
export function keptPlacement(node: string | undefined, before: { spec: PodSpec; hostPorts: PublishedPort[] }, spec: PodSpec): PublishedPort[] | undefined {
  if (node === undefined || canonicalJson(podNeeds(before.spec, undefined)) !== canonicalJson(podNeeds(spec, undefined))) return undefined;
  const kept = keptAutoPorts(spec, before.hostPorts);
  return kept && publishedPorts(spec, kept);
}
