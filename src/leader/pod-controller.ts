import type { Clock } from "../shared/clock.js";
import type { KeyedKind, PodEvent, PodPhase } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import { gatherPages } from "../shared/time-slices.js";
import type { ManifestEntry } from "../shared/manifest.js";
import type { AssignmentHub } from "./assignment-hub.js";
import type { AppliedResource, PodSummary, StoredPod } from "./store/leader-store.js";
import type { LeaderStoreContract, PodStoreContract } from "./store/store-contract.js";
import type { NodeRegistry } from "./node-registry.js";
import { waitingFor } from "./pod-dependencies.js";
import { keepsDataOnItsNode } from "./pod-needs.js";
import { podPhase } from "./pod-phase.js";
import { DEFAULT_PLACEMENT, PodPlacer, type PlacementOptions } from "./pod-placer.js";
import { conflict } from "./refusals.js";

/** What an apply says of each resource: what it did, and a deployment's new revision. */
type AppliedSummary = Pick<AppliedResource, "type" | "name" | "outcome" | "revision">;

export interface PodView extends StoredPod {
  phase: PodPhase;
}

/** The leader's pod logic: apply, delete, placement, and what happens to the pods of a lost node. */
export class PodController {
  /**
   * Whether something changed since the last periodic pass that may let a pending pod be placed (room freed, a node
   * uncordoned, a dependency's status): pods no node can take cost nothing until then (kube-scheduler's queue of
   * unschedulable pods, moved back on events). Explicit passes (an apply, a node Ready) run whatever this says.
   */
  private placementMayChange = true;
  /** How many pods the last pass left waiting for their dependencies, which a pod's new status may meet. */
  private waiting = 0;

  private readonly placer: PodPlacer;

  constructor(
    private readonly store: LeaderStoreContract,
    private readonly registry: NodeRegistry,
    /** Tells a node that the set of pods it must run may have changed. */
    private readonly hub: Pick<AssignmentHub, "notify" | "keyedChanged">,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: PlacementOptions = { podsOnLeader: true, placement: DEFAULT_PLACEMENT },
  ) {
    this.placer = new PodPlacer(store, registry, hub, clock, log, options);
  }

  /** Applies a whole validated manifest in one transaction. */
  async apply(entries: ManifestEntry[]): Promise<AppliedSummary[]> {
    const applied = await this.store.applyResources(entries, new Date(this.clock.now()));
    const changed = applied.filter(({ outcome }) => outcome !== "unchanged");
    if (changed.length > 0)
      this.log.info(changed.length === 1 ? `${changed[0].type}/${changed[0].name} ${changed[0].outcome}` : `${changed.length} resources created or configured`);
    for (const { node, outcome } of applied) if (outcome === "configured" && node) this.hub.notify(node);
    if (changed.some(({ type }) => type === "secret" || type === "config")) this.hub.keyedChanged();
    // A service's node ports changed: a host port they held may be free.
    if (changed.some(({ type }) => type === "service")) this.roomMayHaveChanged();
    if (applied.some(({ outcome, replaced }) => outcome === "created" || replaced)) await this.schedulePending();
    return applied.map(({ type, name, outcome, revision }) => ({ type, name, outcome, revision }));
  }

  /** Deletes a secret or config: nodes drop their copy (pods that use it keep the files they have, as kubelet does). */
  async deleteKeyed(kind: KeyedKind, name: string): Promise<boolean> {
    const removed = await this.store.keyed.remove(kind, name);
    if (removed) this.hub.keyedChanged();
    return removed;
  }

  /** What `apply` would say of each resource, changing nothing (`cube apply --dry-run`). */
  async preview(entries: ManifestEntry[]): Promise<AppliedSummary[]> {
    const previewed = await this.store.previewResources(entries, new Date(this.clock.now()));
    return previewed.map(({ type, name, outcome, revision }) => ({ type, name, outcome, revision }));
  }

  /** What each node's live pods take of it. */
  allocationByNode(): ReturnType<PodStoreContract["allocationByNode"]> {
    return this.store.pods.allocationByNode();
  }

  /** Every pod with its phase (its node's health counts), a page at a time (the store's summaryPages). */
  async *listPages(): AsyncGenerator<(PodSummary & { phase: PodPhase })[]> {
    for await (const page of this.store.pods.summaryPages()) {
      yield page.map((pod) => ({ ...pod, phase: podPhase(pod, pod.node ? this.registry.status(pod.node) : undefined) }));
    }
  }

  list(): Promise<(PodSummary & { phase: PodPhase })[]> {
    return gatherPages(this.listPages());
  }

  async get(name: string): Promise<{ pod: PodView; events: PodEvent[] } | undefined> {
    const pod = await this.store.pods.get(name);
    return pod && { pod: this.view(pod), events: await this.store.eventsOf(pod.uid) };
  }

  /**
   * Replaces a pod's containers and clears its failure counts (a Failed pod runs again), with an event; false when
   * there is no such pod. A pod being deleted stays deleted.
   */
  async restart(name: string): Promise<boolean> {
    const pod = await this.store.pods.get(name);
    if (!pod) return false;
    const event: PodEvent = {
      time: new Date(this.clock.now()),
      type: "Normal",
      reason: "Restarted",
      message: "Restarted by an admin: new containers, failure counts cleared",
      node: pod.node ?? "",
    };
    if (!(await this.store.pods.restart(pod.uid, event))) throw conflict(`pod/${name} is being deleted: there is nothing to restart`);
    this.log.info(`pod/${name} restarted`);
    if (pod.node) this.hub.notify(pod.node);
    return true;
  }

  /**
   * Starts deleting a pod; false when there is none. A placed pod is gone once its node has removed its containers
   * (and, with `purge`, its persistent volumes).
   */
  async delete(name: string, purge = false): Promise<boolean> {
    const pod = await this.store.pods.get(name);
    if (!pod) return false;
    if (!pod.node) {
      await this.store.pods.remove(pod.uid);
      this.log.info(`pod/${name} deleted`);
      return true;
    }
    if (!pod.deletionRequestedAt) {
      await this.store.pods.markDeleting(pod.uid, new Date(this.clock.now()), purge);
      this.log.info(`pod/${name} terminating on ${pod.node}`);
      this.hub.notify(pod.node);
    }
    return true;
  }

  /** Something may have made room for a pending pod (a node uncordoned, a service removed): the next check looks. */
  roomMayHaveChanged(): void {
    this.placementMayChange = true;
  }

  /** Nodes reported: pods they removed freed room; new statuses may meet a waiting pod's dependencies. */
  nodesReported(removedPods: number, statuses: boolean): void {
    if (removedPods > 0 || (statuses && this.waiting > 0)) this.placementMayChange = true;
  }

  /** The periodic check's placement: a pass only when something changed since the last one (see placementMayChange). */
  async schedulePendingIfChanged(): Promise<void> {
    if (!this.placementMayChange) return;
    this.placementMayChange = false;
    try {
      await this.schedulePending();
    } catch (error) {
      this.placementMayChange = true;
      throw error;
    }
  }

  /**
   * Places every unplaced pod whose dependencies hold; a pod no node can take gets a Warning event saying why, one
   * that waits a Normal one saying for what (each once per distinct reason).
   */
  async schedulePending(): Promise<void> {
    const pending = await this.store.pods.unscheduled();
    const named = [...new Set(pending.flatMap((pod) => (pod.spec.dependsOn ?? []).map((dependency) => dependency.name)))];
    if (named.length === 0) {
      this.waiting = 0;
      return this.placer.place(pending);
    }
    const dependencies = await this.store.pods.dependencyPods(named);
    const time = new Date(this.clock.now());
    const free: StoredPod[] = [];
    const waiting: { pod: StoredPod; why: string }[] = [];
    for (const pod of pending) {
      const why = waitingFor(pod.spec.dependsOn ?? [], dependencies);
      if (why === undefined) free.push(pod);
      else waiting.push({ pod, why });
    }
    this.waiting = waiting.length;
    for (const { pod, why } of waiting) {
      await this.placer.recordOnce(pod.uid, {
        time,
        type: "Normal",
        reason: "Waiting",
        message: `waiting for ${why} before placing pod/${pod.name}`,
        node: "",
      });
    }
    await this.placer.place(free);
  }

  /**
   * Moves the pods of lost nodes (NotReady past the reschedule delay) to Ready nodes, unless `heldBecause` says why
   * not (an event on each pod, once); deletions there are final either way. Returns how many pods it tried to move.
   */
  async rescheduleFrom(lostNodes: string[], heldBecause?: string): Promise<number> {
    return this.moveFrom(lostNodes, heldBecause, false);
  }

  /**
   * An admin removed a node: its pods move now, those with persistent volumes too (their data stays on the machine
   * that was the node; they start afresh elsewhere). Returns how many pods it tried to move.
   */
  async nodeRemoved(node: string): Promise<number> {
    const time = new Date(this.clock.now());
    for (const { pod, volumes } of await this.persistentDataOn(node)) {
      await this.store.recordEvent(pod.uid, {
        time,
        type: "Warning",
        reason: "DataLeftBehind",
        message: `its node ${node} was removed by an admin: the data of its persistent volumes (${volumes.join(", ")}) stayed on that machine; the pod starts elsewhere with new, empty ones`,
        node,
      });
    }
    await this.store.pods.volumeHomes.forgetNode(node);
    // Pending pods whose volumes were there may now go anywhere.
    this.roomMayHaveChanged();
    return this.moveFrom([node], undefined, true, "was removed by an admin");
  }

  /** The pods whose persistent volumes are on `node` (their data is there), with those volumes' names. */
  async persistentDataOn(node: string): Promise<{ pod: StoredPod; volumes: string[] }[]> {
    const homes = await this.store.pods.volumeHomes.all();
    return (await this.store.pods.onNode(node))
      .filter((pod) => !pod.deletionRequestedAt && homes.get(pod.name) === node)
      .map((pod) => ({ pod, volumes: (pod.spec.volumes ?? []).filter((volume) => volume.persistent).map((volume) => volume.name) }));
  }

  private async moveFrom(lostNodes: string[], heldBecause: string | undefined, nodeGone: boolean, whyMoved = "was lost"): Promise<number> {
    const time = new Date(this.clock.now());
    let moving = 0;
    for (const node of lostNodes) {
      const pods = await this.store.pods.onNode(node);
      for (const pod of pods.filter((p) => p.deletionRequestedAt)) {
        // The node cannot confirm: the pod is forgotten now, and the node removes its containers if it comes back.
        await this.store.pods.remove(pod.uid);
        this.log.info(`pod/${pod.name} deleted (its node ${node} is lost)`);
      }
      const stranded = pods.filter((p) => !p.deletionRequestedAt);
      // A pod keeps its data on its node: it waits for that node rather than start elsewhere without it.
      const why = (pod: StoredPod) =>
        heldBecause ?? (!nodeGone && keepsDataOnItsNode(pod) ? "its persistent volumes are on that node; it runs again when the node returns" : undefined);
      const moved = stranded.filter((pod) => why(pod) === undefined);
      moving += moved.length;
      await this.placer.place(moved, whyMoved);
      for (const pod of stranded.filter((p) => why(p) !== undefined))
        await this.placer.recordOnce(pod.uid, { time, type: "Warning", reason: "NotRescheduled", message: `not moved from ${node}: ${why(pod)}`, node });
    }
    return moving;
  }

  /**
   * Empties a cordoned node: a deployment's pods are marked for eviction (their deployment replaces them elsewhere
   * within its rolling-update bounds), other pods move to other nodes now; pods whose persistent volumes are on the
   * node stay, with the reason. Returns what it did.
   */
  async drain(node: string): Promise<{ moved: number; evicted: { pod: string; owner: string }[]; held: { pod: string; reason: string }[] }> {
    const time = new Date(this.clock.now());
    const live = (await this.store.pods.onNode(node)).filter((pod) => !pod.deletionRequestedAt);
    const owned = live.filter((pod) => pod.owner);
    await this.store.pods.markEvicting(
      owned.map((pod) => pod.uid),
      time,
    );
    const standalone = live.filter((pod) => !pod.owner);
    const kept = standalone.filter((pod) => keepsDataOnItsNode(pod));
    for (const pod of kept) {
      await this.placer.recordOnce(pod.uid, {
        time,
        type: "Warning",
        reason: "NotRescheduled",
        message: `not moved from ${node} (drained): its persistent volumes are on that node`,
        node,
      });
    }
    const moving = standalone.filter((pod) => !keepsDataOnItsNode(pod));
    await this.placer.place(moving, "is being drained");
    return {
      moved: moving.length,
      evicted: owned.map((pod) => ({ pod: pod.name, owner: pod.owner! })),
      held: kept.map((pod) => ({ pod: pod.name, reason: "its persistent volumes are on the node" })),
    };
  }

  /** Records a NodeLost event on each pod of a node that stopped answering. */
  async nodeLost(node: string): Promise<void> {
    const time = new Date(this.clock.now());
    for (const pod of await this.store.pods.onNode(node)) {
      await this.store.recordEvent(pod.uid, {
        time,
        type: "Warning",
        reason: "NodeLost",
        message: `node ${node} stopped answering: the pod's status is Unknown`,
        node,
      });
    }
  }

  private view(pod: StoredPod): PodView {
    return { ...pod, phase: podPhase(pod, pod.node ? this.registry.status(pod.node) : undefined) };
  }
}
