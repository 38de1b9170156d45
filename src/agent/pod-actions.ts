import { join } from "node:path";
import type { Clock } from "../shared/clock.js";
import type { ContainerSpec, EventType, RestartSettings, VolumeMount } from "../shared/domain.js";
import { cpuMillis, memoryBytes } from "../shared/quantities.js";
import { HOST_NETWORK, type PodAction } from "./compute-pod-actions.js";
import { claimedSandboxName, containerLabels, containerName, volumeOf, warmSandboxIdentity } from "./container-labels.js";
import { runtimeErrorMessage, type ContainerRuntime, type CreateContainerOptions } from "./container-runtime.js";
import type { LocalPod } from "./local-pod.js";
import { isSandbox } from "./observed-containers.js";
import type { RestartStates } from "./restart-states.js";
import type { SandboxNetwork } from "./network/pod-network.js";
import type { NodeKeyed } from "./keyed/node-keyed.js";
import { defaultMountPath, keyedSourceOf } from "./keyed/keyed-files.js";
import {
  effectiveSettings,
  INITIAL_RESTART_STATE,
  onCreateFailure,
  onPullFailure,
  onRestarted,
  type RestartDecision,
  type RestartState,
} from "./restart-tracker.js";

export interface PodActionDependencies {
  node: string;
  runtime: ContainerRuntime;
  clock: Clock;
  restarts: RestartStates;
  /** The node's restart settings, which a pod may override. */
  restartDefaults: RestartSettings;
  /** Records an event of a pod's life, for the leader. */
  record(podUid: string, type: EventType, reason: string, message: string): Promise<void>;
  /** Where new sandboxes go: the node's pod network once ready; the engine's default bridge when the node has none. */
  sandboxNetwork(): SandboxNetwork | undefined;
  /** A sandbox started (its link to the pod network is up). */
  sandboxStarted(): void;
  /** The secrets and configs the node holds: env values, volume directories, registry credentials. */
  keyed: NodeKeyed;
}

/** A new sandbox's network settings: the node's own network for a `hostNetwork` pod (its resolvers, its ports). */
function sandboxPlacement(deps: PodActionDependencies, pod?: LocalPod): Pick<CreateContainerOptions, "network" | "dns"> {
  if (pod?.spec.hostNetwork) return { network: HOST_NETWORK };
  const network = deps.sandboxNetwork();
  return network ? { network: network.name, ...(network.dns ? { dns: network.dns } : {}) } : {};
}

/**
 * What the actions of one plan hand on to each other: the sandbox the plan created or claimed, and, for one it
 * created, its start, which the plan's containers are created during and wait for only before their own start.
 */
export interface PlanProgress {
  sandboxId?: string;
  sandboxStarted?: Promise<void>;
}

/** What an action does, for a failure's event. */
export function describeAction(action: PodAction): string {
  const name = (container: { containerName?: string }) => container.containerName ?? "pause";
  switch (action.type) {
    case "removeContainer":
      return `removing container ${name(action.container)}`;
    case "stopContainer":
      return `stopping container ${name(action.container)}`;
    case "createSandbox":
      return "creating the pod's sandbox";
    case "claimSandbox":
      return `claiming warm sandbox ${action.sandbox.name}`;
    case "createWarmSandbox":
      return "creating a warm sandbox";
    case "startContainer":
      return `starting container ${action.container.name}`;
  }
}

/** Counts a failure to get a container going with the restart tracker: a back-off, or giving up, each an event. */
async function countFailure(
  deps: PodActionDependencies,
  pod: LocalPod,
  container: string,
  tracker: (state: RestartState, settings: RestartSettings) => { state: RestartState; decision: RestartDecision },
): Promise<void> {
  const { restarts, record } = deps;
  const settings = effectiveSettings(deps.restartDefaults, pod.spec.restart);
  const { state, decision } = tracker((await restarts.get(pod, container)) ?? INITIAL_RESTART_STATE, settings);
  await restarts.set(pod, container, state);
  if (decision.type === "restart") await record(pod.uid, "Normal", "BackOff", decision.reason);
  if (decision.type === "giveUp") await record(pod.uid, "Warning", "Failed", `${decision.reason}: the pod is Failed`);
}

/** Uses a local image as it is; pulls a missing one, counting a failure as the restart tracker says. */
async function ensureImage(deps: PodActionDependencies, pod: LocalPod, container: string, image: string): Promise<boolean> {
  const { runtime, clock, record } = deps;
  if (await runtime.hasImage(image)) return true;
  await record(pod.uid, "Normal", "Pulling", `Pulling image "${image}"`);
  const started = clock.now();
  try {
    await runtime.pullImage(image, deps.keyed.pullAuth(pod, image));
  } catch (error) {
    const message = runtimeErrorMessage(error);
    await record(pod.uid, "Warning", "Failed", `Failed to pull image "${image}": ${message}`);
    await countFailure(deps, pod, container, (state, settings) => onPullFailure(state, { image, message }, settings, clock.now()));
    return false;
  }
  await record(pod.uid, "Normal", "Pulled", `Successfully pulled image "${image}" in ${((clock.now() - started) / 1000).toFixed(1)}s`);
  return true;
}

/**
 * A container's mounts: the pod's volumes it names, each Docker volume created on first use (a host path is as it is),
 * secret and config volumes from the node's directory of them, read-only; those that no container names go in every
 * container at their default place (/run/secrets/NAME, /run/configs/NAME).
 */
async function mountsOf(deps: PodActionDependencies, pod: LocalPod, container: ContainerSpec): Promise<NonNullable<CreateContainerOptions["mounts"]>> {
  const mounts: NonNullable<CreateContainerOptions["mounts"]> = [];
  const volumes = pod.spec.volumes ?? [];
  const named = new Set(pod.spec.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  const unnamed: VolumeMount[] = volumes
    .filter((v) => !named.has(v.name) && keyedSourceOf(v))
    .map((v) => ({ name: v.name, mountPath: defaultMountPath(v)!, readOnly: true }));
  for (const mount of [...(container.volumeMounts ?? []), ...unnamed]) {
    const volume = volumes.find((v) => v.name === mount.name)!;
    if (keyedSourceOf(volume)) {
      // One file alone: the link through ..data, which the engine resolves when it mounts it (later versions do not reach it).
      const dir = deps.keyed.host.dirOf(pod.uid, volume.name);
      mounts.push({ type: "bind", source: mount.subPath ? join(dir, mount.subPath) : dir, target: mount.mountPath, readOnly: true });
      continue;
    }
    const docker = volumeOf(deps.node, pod, volume);
    if (docker) await deps.runtime.ensureVolume(docker.name, docker.labels);
    mounts.push({ type: docker ? "volume" : "bind", source: docker?.name ?? volume.hostPath!.path, target: mount.mountPath, readOnly: mount.readOnly });
  }
  return mounts;
}

/**
 * Removes a torn-down pod's volumes: its emptyDirs, and its persistent ones when it was deleted with `--purge` (not a
 * deployment's replica's: they are the deployment's, which other replicas may use).
 */
export async function removePodVolumes(deps: Pick<PodActionDependencies, "node" | "runtime">, pod: LocalPod): Promise<void> {
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.persistent && (pod.owner !== undefined || !(pod.purge && pod.termination === "deleted"))) continue;
    const docker = volumeOf(deps.node, pod, volume);
    if (docker) await deps.runtime.removeVolume(docker.name);
  }
}

/** The plan stops here; its failure was recorded and counted already (no other event to add). */
export class FailureCounted extends Error {}

/** Carries out one action of a pod's plan on the container runtime, recording its events. */
export async function runPodAction(deps: PodActionDependencies, podUid: string, action: PodAction, progress: PlanProgress): Promise<void> {
  const { runtime, node, record, restarts } = deps;
  switch (action.type) {
    case "removeContainer": {
      const { container } = action;
      if (!isSandbox(container) && container.state === "running") {
        await record(podUid, "Normal", "Killing", `Stopping container ${container.containerName}: ${action.reason}`);
        await runtime.stopContainer(container.id, action.graceSeconds);
      }
      await runtime.removeContainer(container.id);
      return;
    }
    case "stopContainer": {
      const { container } = action;
      if (!isSandbox(container)) await record(podUid, "Normal", "Killing", `Stopping container ${container.containerName}: ${action.reason}`);
      await runtime.stopContainer(container.id, action.graceSeconds);
      return;
    }
    case "createSandbox": {
      const { pod } = action;
      const image = await runtime.ensurePauseImage();
      // The sandbox owns the pod's network namespace: the pod's published ports are its.
      const ports = pod.hostPorts.map(({ containerPort, protocol, hostAddress, hostPort }) => ({ containerPort, protocol, hostIP: hostAddress, hostPort }));
      const id = await runtime.createContainer({
        name: containerName(node, pod, "pause"),
        image,
        labels: containerLabels(node, pod),
        // On the node's network, the engine takes neither a hostname nor published ports (the node's are the pod's).
        ...(pod.spec.hostNetwork ? {} : { hostname: pod.spec.hostname, ports }),
        ...sandboxPlacement(deps, pod),
      });
      progress.sandboxId = id;
      // Its start (the engine sets up the network: the slow part) runs while the plan's containers are created.
      const started = runtime.startContainer(id).then(
        () => deps.sandboxStarted(),
        (error: unknown) => {
          throw new Error(`the pod's sandbox did not start: ${runtimeErrorMessage(error)}`);
        },
      );
      started.catch(() => undefined); // awaited by the plan, which may first fail elsewhere
      progress.sandboxStarted = started;
      return;
    }
    case "claimSandbox": {
      // Docker cannot relabel a container: its new name says whose it is (see container-labels).
      await runtime.renameContainer(action.sandbox.id, claimedSandboxName(node, action.pod));
      progress.sandboxId = action.sandbox.id;
      return;
    }
    case "createWarmSandbox": {
      const image = await runtime.ensurePauseImage();
      const id = await runtime.createContainer({ ...warmSandboxIdentity(node), image, ...sandboxPlacement(deps) });
      await runtime.startContainer(id);
      deps.sandboxStarted();
      return;
    }
    case "startContainer": {
      const { pod, container } = action;
      /** The engine refused this container: a Warning, and a failure counted as CreateContainerError. */
      const refused = async (what: string, error: unknown) => {
        const message = runtimeErrorMessage(error);
        await record(pod.uid, "Warning", "Failed", `Error: ${what}: ${message}`);
        await countFailure(deps, pod, container.name, (state, settings) =>
          onCreateFailure(state, { container: container.name, message }, settings, deps.clock.now()),
        );
      };
      const sandboxId = action.sandboxId ?? progress.sandboxId!;
      if (!(await ensureImage(deps, pod, container.name, container.image))) return;
      let id: string;
      try {
        const mounts = await mountsOf(deps, pod, container);
        id = await runtime.createContainer({
          name: containerName(node, pod, container.name),
          image: container.image,
          labels: containerLabels(node, pod, container.name),
          env: deps.keyed.env(container.env),
          command: container.command,
          args: container.args,
          networkOf: sandboxId,
          mounts,
          process: {
            user: container.user,
            workingDir: container.workingDir,
            securityContext: container.securityContext,
            stopSignal: container.stopSignal,
            init: container.init,
          },
          limits: {
            cpuMillis: container.resources?.cpu === undefined ? undefined : cpuMillis(container.resources.cpu),
            memoryBytes: container.resources?.memory === undefined ? undefined : memoryBytes(container.resources.memory),
          },
        });
      } catch (error) {
        await refused(`failed to create container ${container.name}`, error);
        return;
      }
      await record(pod.uid, "Normal", "Created", `Created container ${container.name}`);
      // A sandbox or a container the engine will not start (a host port already taken, a command it cannot run) is
      // removed and counted as its creation failing: CreateContainerError, a back-off, the crash limit, for a
      // rollout to judge; the next try makes it anew.
      try {
        await progress.sandboxStarted;
      } catch (error) {
        await runtime.removeContainer(id);
        if (progress.sandboxId) await runtime.removeContainer(progress.sandboxId);
        await refused(`the pod's sandbox did not start for container ${container.name}`, error);
        throw new FailureCounted();
      }
      try {
        await runtime.startContainer(id);
      } catch (error) {
        await runtime.removeContainer(id);
        await refused(`failed to start container ${container.name}`, error);
        return;
      }
      await record(pod.uid, "Normal", "Started", `Started container ${container.name}`);
      const state = await restarts.get(pod, container.name);
      if (state?.retryAt !== undefined) await restarts.set(pod, container.name, onRestarted(state, state.lastFailure?.kind === "exit"));
      return;
    }
  }
}
