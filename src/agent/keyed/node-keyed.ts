import type { KeyedValues, KeyedValuesUpdate, UsedRevision } from "../../shared/domain.js";
import type { Logger } from "../../shared/logger.js";
import { keyedRef } from "../../shared/pod-references.js";
import type { LocalPod } from "../local-pod.js";
import { missingReference, planKeyedVolumes, resolveEnv, usedRevisions, type KeyedLookup } from "./keyed-files.js";
import type { KeyedVolumeHost } from "./keyed-volume-host.js";
import { pullAuthFor, type RegistryAuth } from "./registry-auth.js";

/**
 * The secrets and configs a node holds: in memory only (never in agent.db), those its pods use, as the leader sends
 * them; and its pods' volumes of them, kept up to date by `reconcile` at every sync pass.
 */
export class NodeKeyed {
  private readonly values = new Map<string, KeyedValues>();
  /** Pods whose volumes could not be written, with why. */
  private readonly writeFailures = new Map<string, string>();
  readonly lookup: KeyedLookup = (ref) => this.values.get(ref);

  constructor(
    readonly host: KeyedVolumeHost,
    private readonly log: Logger,
  ) {}

  /** Takes what the leader sent; true when anything changed. */
  apply(update: KeyedValuesUpdate): boolean {
    const before = this.values.size;
    if (update.complete) this.values.clear();
    for (const ref of update.removed) this.values.delete(ref);
    for (const item of update.items) this.values.set(keyedRef(item.kind, item.name), item);
    return update.items.length > 0 || update.removed.length > 0 || (update.complete && before > 0);
  }

  /** What the node holds ("secret/NAME", …), without values. */
  held(): string[] {
    return [...this.values.keys()].sort();
  }

  /** Why a pod's containers cannot be made yet (CreateContainerConfigError); undefined when they can. */
  problemOf(pod: LocalPod): string | undefined {
    return missingReference(pod.spec, this.lookup) ?? this.writeFailures.get(pod.uid);
  }

  env(env: LocalPod["spec"]["containers"][number]["env"]): Record<string, string> {
    return resolveEnv(env, this.lookup);
  }

  pullAuth(pod: LocalPod, image: string): RegistryAuth | undefined {
    return pullAuthFor(image, pod.spec, this.lookup);
  }

  used(pod: LocalPod): UsedRevision[] {
    return usedRevisions(pod.spec, this.lookup);
  }

  /** Writes the volumes that are missing or older, removes those of pods the node no longer knows. */
  async reconcile(pods: LocalPod[]): Promise<void> {
    const { written, podDirs } = await this.host.observe();
    const plan = planKeyedVolumes(pods, this.lookup, written, podDirs);
    this.writeFailures.clear();
    for (const volume of plan.write) {
      try {
        await this.host.write(volume);
      } catch (error) {
        const message = `cannot write volume ${volume.volume}: ${(error as Error).message}`;
        this.writeFailures.set(volume.podUid, message);
        this.log.error(message);
      }
    }
    for (const podUid of plan.remove) await this.host.removePod(podUid);
  }
}
