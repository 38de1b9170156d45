import type { ObservedContainer } from "../../src/agent/container-runtime.js";
import type { LocalPod } from "../../src/agent/local-pod.js";
import type { DesiredPod } from "../../src/shared/domain.js";

export const T0 = new Date("2026-01-01T00:00:00Z");
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The base pod of the tables: "web", two containers, one version of its spec. */
export function webPod(change: Partial<LocalPod> = {}): LocalPod {
  return {
    uid: "uid-web",
    name: "web",
    labels: {},
    specHash: "hash-1",
    spec: {
      containers: [
        { name: "app", image: "app:1", env: { MODE: "prod" } },
        { name: "sidecar", image: "sidecar:1", env: {} },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 7,
    },
    hostPorts: [],
    purge: false,
    ...change,
  };
}

/** The base pod with its first container (`app`) only, `spec` changed, and `change` to the rest. */
export function singleContainerPod(spec: Partial<LocalPod["spec"]> = {}, change: Partial<LocalPod> = {}): LocalPod {
  const base = webPod();
  return webPod({ ...change, spec: { ...base.spec, containers: [base.spec.containers[0]], ...spec } });
}

/** A pod as the leader sends it to its node (by default the base pod, running). */
export function placed({ uid, name, labels, spec, specHash, hostPorts, owner }: LocalPod = webPod(), deleting = false): DesiredPod {
  return { uid, name, labels, specJson: JSON.stringify(spec), specHash, deleting, purge: false, hostPorts, ...(owner ? { owner } : {}) };
}

/** A container of the base pod as the engine shows it; `containerName` undefined is the pause container. */
export function observed(containerName: string | undefined, change: Partial<ObservedContainer> = {}): ObservedContainer {
  const id = `${containerName ?? "pause"}-${change.state ?? "running"}-${(change.createdAt ?? at(0)).getTime()}`;
  return {
    id,
    name: `cube_n_web_${containerName ?? "pause"}`,
    podUid: "uid-web",
    podName: "web",
    containerName,
    specHash: "hash-1",
    state: "running",
    createdAt: at(0),
    startedAt: at(1),
    image: containerName === undefined ? "cube/pause:1" : `${containerName}:1`,
    ...change,
  };
}

/** Everything fine: the pause container and both app containers run the current spec. */
export const healthyWeb = (): ObservedContainer[] => [observed(undefined), observed("app"), observed("sidecar")];

/** A sandbox of the node's warm pool, claimed by no pod yet, as the engine shows it. */
export function warmSandbox(id: string, change: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id,
    name: `cube_n_warm_${id}`,
    podUid: "",
    podName: "",
    specHash: "",
    warm: true,
    state: "running",
    createdAt: at(0),
    startedAt: at(1),
    image: "cube/pause:1",
    ...change,
  };
}
