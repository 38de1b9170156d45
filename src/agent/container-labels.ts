import { randomBytes } from "node:crypto";
import type { DesiredPod, Volume } from "../shared/domain.js";

/**
 * The Docker labels and names that mark every container Cube creates, written and read here only: a node finds and
 * adopts its containers by them after a restart, and touches no container that does not carry its own name.
 */
const LABELS = {
  node: "cube.node",
  pod: "cube.pod",
  podUid: "cube.pod.uid",
  /** Absent on the pod's pause container. */
  container: "cube.container",
  specHash: "cube.spec-hash",
  /** On a sandbox the node made ahead of need (its warm pool). */
  warm: "cube.warm-sandbox",
  /** On a deployment's persistent volume on a node. */
  deployment: "cube.deployment",
  /** On the engine network of a node's pods. */
  podNetwork: "cube.pod-network",
} as const;

/** What a container's labels (and, for a claimed warm sandbox, its name) say of it. */
export interface ContainerIdentity {
  podUid: string;
  podName: string;
  /** The spec container's name; undefined for the pod's pause container. */
  containerName?: string;
  specHash: string;
  /** A sandbox of the node's warm pool that no pod has claimed yet (its pod fields are empty). */
  warm?: true;
}

/** A container's name, unique on the engine (which nodes on one machine may share): node, pod, container, a random suffix. */
export function containerName(node: string, pod: Pick<DesiredPod, "name">, container: string): string {
  return `cube_${node}_${pod.name}_${container}_${randomBytes(3).toString("hex")}`;
}

/** The labels and name of a sandbox made ahead of need, before any pod is known. */
export function warmSandboxIdentity(node: string): { name: string; labels: Record<string, string> } {
  return { name: `cube_${node}_warm_${randomBytes(3).toString("hex")}`, labels: { [LABELS.node]: node, [LABELS.warm]: "true" } };
}

/**
 * The name a warm sandbox takes when a pod claims it. Docker cannot change a container's labels but can rename it, so
 * the name carries the claim: the pod's name (for `docker ps`), its uid and spec hash (for the node after a restart).
 */
export function claimedSandboxName(node: string, pod: Pick<DesiredPod, "uid" | "name" | "specHash">): string {
  return `cube_${node}_${pod.name}_pause_${pod.uid}_${pod.specHash}`;
}

/** Pod names have no "_": the pod name, uid and spec hash are the last fields of a claimed sandbox's name. */
const CLAIMED_NAME = /_([^_]+)_pause_([^_]+)_([^_]+)$/;

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

/** What a container's labels and name say of it. */
export function readContainerIdentity(labels: Record<string, string>, name: string): ContainerIdentity {
  if (labels[LABELS.warm] !== undefined) {
    const claimed = CLAIMED_NAME.exec(name);
    if (!claimed) return { podUid: "", podName: "", specHash: "", warm: true };
    return { podName: claimed[1], podUid: claimed[2], specHash: claimed[3] };
  }
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
 * a persistent volume belongs to the pod's name on its node, so a pod re-created under that name finds its data; a
 * deployment's replica's, to the deployment on the node ("deployment.NAME": no pod name has a dot), so its replicas
 * there share it and a new replica there finds it, as with a Swarm service's named volume.
 */
export function volumeOf(
  node: string,
  pod: Pick<DesiredPod, "uid" | "name" | "owner">,
  volume: Volume,
): { name: string; labels: Record<string, string> } | undefined {
  if (volume.hostPath) return undefined;
  const labels = { [LABELS.node]: node, "cube.volume": volume.name };
  if (!volume.persistent) return { name: `cube_${node}_${pod.uid}_${volume.name}`, labels: { ...labels, [LABELS.pod]: pod.name, [LABELS.podUid]: pod.uid } };
  if (pod.owner) return { name: `cube_${node}_deployment.${pod.owner}_${volume.name}`, labels: { ...labels, [LABELS.deployment]: pod.owner } };
  return { name: `cube_${node}_${pod.name}_${volume.name}`, labels: { ...labels, [LABELS.pod]: pod.name } };
}

/** Docker's label filter for every node's pod network. */
export const POD_NETWORK_FILTER = `${LABELS.podNetwork}=true`;

/** The engine network of a node's pods, named and labelled for its node (nodes on one engine have one each). */
export function podNetworkIdentity(node: string): { name: string; labels: Record<string, string> } {
  return { name: `cube-pods-${node}`, labels: { [LABELS.node]: node, [LABELS.podNetwork]: "true" } };
}
