import type { DesiredPod, Volume } from "../shared/domain.js";

/**
 * The Docker labels that mark every container Cube creates, written and read here only: a node finds and adopts its
 * containers by them after a restart, and touches no container that does not carry its own name.
 */
const LABELS = {
  node: "cube.node",
  pod: "cube.pod",
  podUid: "cube.pod.uid",
  /** Absent on the pod's pause container. */
  container: "cube.container",
  specHash: "cube.spec-hash",
} as const;

/** What a container's labels say of it. */
export interface ContainerIdentity {
  podUid: string;
  podName: string;
  /** The spec container's name; undefined for the pod's pause container. */
  containerName?: string;
  specHash: string;
}

/** The labels of a container of `pod` on `node`: its pause container when `containerName` is undefined. */
export function containerLabels(node: string, pod: Pick<DesiredPod, "uid" | "name" | "specHash">, containerName?: string): Record<string, string> {
  return {
    [LABELS.node]: node,
    [LABELS.pod]: pod.name,
    [LABELS.podUid]: pod.uid,
    [LABELS.specHash]: pod.specHash,
    ...(containerName === undefined ? {} : { [LABELS.container]: containerName }),
  };
}

export function readContainerLabels(labels: Record<string, string>): ContainerIdentity {
  return {
    podUid: labels[LABELS.podUid] ?? "",
    podName: labels[LABELS.pod] ?? "",
    containerName: labels[LABELS.container],
    specHash: labels[LABELS.specHash] ?? "",
  };
}

/** The label filter ("key=value") that selects the containers of `node`, as the engine's list filters take it. */
export function nodeLabelFilter(node: string): string {
  return `${LABELS.node}=${node}`;
}

/** Whether a container's labels say it belongs to `node`. */
export function belongsTo(labels: Record<string, string>, node: string): boolean {
  return labels[LABELS.node] === node;
}

/**
 * The Docker volume behind a pod's volume, and its labels. An emptyDir belongs to one pod (by uid) and goes with it;
 * a persistent volume belongs to the pod's name on its node, so a pod re-created under that name finds its data.
 */
export function volumeOf(node: string, pod: Pick<DesiredPod, "uid" | "name">, volume: Volume): { name: string; labels: Record<string, string> } | undefined {
  if (volume.hostPath) return undefined;
  const owner = volume.persistent ? `${pod.name}` : pod.uid;
  return {
    name: `cube_${node}_${owner}_${volume.name}`,
    labels: { [LABELS.node]: node, [LABELS.pod]: pod.name, ...(volume.persistent ? {} : { [LABELS.podUid]: pod.uid }), "cube.volume": volume.name },
  };
}
