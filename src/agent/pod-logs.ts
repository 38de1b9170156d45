import { setTimeout as sleep } from "node:timers/promises";
import type { ContainerRuntime, ObservedContainer } from "./container-runtime.js";
import type { AgentStore } from "./agent-store.js";
import type { LocalPod } from "./local-pod.js";
import { mergeByTime, type LogLine } from "./log-lines.js";
import { instancesOf, isDead } from "./observed-containers.js";

/** A request that cannot be served, with the words for the user and the kind of gRPC status it maps to. */
export class LogsRefused extends Error {
  constructor(
    readonly kind: "not-found" | "not-ready",
    message: string,
  ) {
    super(message);
  }
}

export interface PodLogRequest {
  podName: string;
  /** Empty: every container of the pod. */
  container: string;
  follow: boolean;
  tail?: number;
  sinceNs?: bigint;
  previous: boolean;
}

export interface ContainerLogLine extends LogLine {
  container: string;
}

export interface PodLogsDependencies {
  node: string;
  store: AgentStore;
  runtime: ContainerRuntime;
  /** How often a follower looks for a container's next instance, or for the pod's end. */
  pollMs?: number;
}

/** The pod of that name the node runs (not one it tears down), if any. */
export const runningPod = async (deps: Pick<PodLogsDependencies, "store">, podName: string) =>
  (await deps.store.localPods()).find((p) => p.name === podName && !p.termination);

/** Which instance of each container to read: the current one, or with `previous` the last replaced (dead) one. */
async function chooseInstances(
  deps: PodLogsDependencies,
  request: PodLogRequest,
): Promise<{ pod: LocalPod; chosen: { container: string; instance: ObservedContainer }[] }> {
  const pod = await runningPod(deps, request.podName);
  if (!pod) throw new LogsRefused("not-found", `pod/${request.podName} does not run on node ${deps.node}`);
  const names = pod.spec.containers.map((c) => c.name);
  if (request.container && !names.includes(request.container)) {
    throw new LogsRefused("not-found", `container "${request.container}" not found in pod/${pod.name}; its containers: ${names.join(", ")}`);
  }
  const observed = await deps.runtime.listContainers(deps.node);
  const chosen = (request.container ? [request.container] : names).map((container) => {
    const [newest, ...older] = instancesOf(observed, pod, container);
    const instance = request.previous ? older.find(isDead) : newest;
    if (!instance) {
      throw new LogsRefused(
        "not-ready",
        request.previous
          ? `container ${container} of pod/${pod.name} has no previous instance`
          : `container ${container} of pod/${pod.name} has not started yet`,
      );
    }
    return { container, instance };
  });
  return { pod, chosen };
}

/**
 * A pod's logs, through `emit` (which resolves once the line may be followed by another: backpressure). Without
 * `follow`, the containers' lines merged in time order. With `follow`, that history first, then new lines as they
 * come, following each container into its next instance when it is restarted, until the pod is gone or `signal`
 * aborts.
 */
export async function streamPodLogs(
  deps: PodLogsDependencies,
  request: PodLogRequest,
  emit: (line: ContainerLogLine) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const { pod, chosen } = await chooseInstances(deps, request);
  const startedNs = BigInt(Date.now()) * 1_000_000n;
  const labelled = (container: string, lines: AsyncIterable<LogLine>) =>
    (async function* () {
      for await (const line of lines) yield { ...line, container };
    })();
  const history = chosen.map(({ container, instance }) =>
    labelled(container, deps.runtime.logs(instance.id, { follow: false, tail: request.tail, sinceNs: request.sinceNs, signal })),
  );
  const lastSeen = new Map<string, bigint>();
  for await (const line of mergeByTime(history)) {
    lastSeen.set(line.container, line.timestampNs);
    await emit(line);
  }
  if (!request.follow || request.previous) return;
  await Promise.all(
    chosen.map(({ container, instance }) => followContainer(deps, pod, container, instance, lastSeen.get(container) ?? startedNs, emit, signal)),
  );
}

async function followContainer(
  deps: PodLogsDependencies,
  pod: LocalPod,
  container: string,
  first: ObservedContainer,
  afterNs: bigint,
  emit: (line: ContainerLogLine) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let instance: ObservedContainer | undefined = first;
  let last = afterNs;
  while (instance && !signal.aborted) {
    try {
      for await (const line of deps.runtime.logs(instance.id, { follow: true, sinceNs: last, signal })) {
        if (line.timestampNs <= last) continue; // `since` is inclusive: already sent
        last = line.timestampNs;
        await emit({ ...line, container });
      }
    } catch (error) {
      if (signal.aborted) return;
      // The instance was removed while we read it: look for the next one.
    }
    instance = await nextInstance(deps, pod, container, instance.id, signal);
  }
}

/** Waits for an instance newer than `previousId` (a restart); undefined when the pod is gone or the caller left. */
async function nextInstance(
  deps: PodLogsDependencies,
  pod: LocalPod,
  container: string,
  previousId: string,
  signal: AbortSignal,
): Promise<ObservedContainer | undefined> {
  while (!signal.aborted) {
    const now = await runningPod(deps, pod.name);
    if (!now || now.uid !== pod.uid || now.specHash !== pod.specHash) return undefined;
    const [newest] = instancesOf(await deps.runtime.listContainers(deps.node), pod, container);
    if (newest && newest.id !== previousId && !isDead(newest)) return newest;
    await sleep(deps.pollMs ?? 500, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}
