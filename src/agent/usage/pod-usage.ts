import type { ObservedContainer } from "../container-runtime.js";
import type { PodUsage, UsageUpdate } from "../../shared/usage.js";
import { cpuMillisBetween, type UsageSample } from "./container-usage.js";

/**
 * Each pod's usage from one pass of readings: its running spec containers (not its pause container, not a warm
 * sandbox), CPU as the rate since the container's previous reading, or since its start at its first one (a pod
 * shows its usage from its first pass, not its second).
 */
export function podUsages(
  containers: Pick<ObservedContainer, "id" | "podUid" | "containerName" | "startedAt">[],
  samples: ReadonlyMap<string, UsageSample>,
  previous: ReadonlyMap<string, UsageSample>,
  sampledAt: Date,
): Map<string, PodUsage> {
  const pods = new Map<string, PodUsage>();
  for (const container of containers) {
    const sample = samples.get(container.id);
    if (!sample || container.containerName === undefined || !container.podUid) continue;
    const since = previous.get(container.id) ?? { cpuNanos: 0, atMs: container.startedAt?.getTime() ?? sample.atMs };
    let pod = pods.get(container.podUid);
    if (!pod) pods.set(container.podUid, (pod = { containers: [], sampledAt }));
    pod.containers.push({ name: container.containerName, cpuMillis: cpuMillisBetween(since, sample), memoryBytes: sample.memoryBytes });
  }
  for (const pod of pods.values()) pod.containers.sort((a, b) => a.name.localeCompare(b.name));
  return pods;
}

function sameFigures(a: PodUsage, b: PodUsage): boolean {
  return (
    a.containers.length === b.containers.length &&
    a.containers.every((container, i) => {
      const other = b.containers[i];
      return container.name === other.name && container.cpuMillis === other.cpuMillis && container.memoryBytes === other.memoryBytes;
    })
  );
}

/** What to tell the leader after `sent`: the pods whose figures changed (a new reading alone is not a change), and those gone. */
export function usageChanges(sent: ReadonlyMap<string, PodUsage>, now: ReadonlyMap<string, PodUsage>): Pick<UsageUpdate, "pods" | "removed"> {
  const pods = [...now]
    .filter(([uid, usage]) => {
      const before = sent.get(uid);
      return !before || !sameFigures(before, usage);
    })
    .map(([podUid, usage]) => ({ podUid, usage }));
  const removed = [...sent.keys()].filter((uid) => !now.has(uid));
  return { pods, removed };
}
