import type { Clock } from "../shared/clock.js";
import type { ApplyOutcome, PodEvent, PodPhase } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import type { ManifestEntry } from "../shared/manifest.js";
import type { AssignmentHub } from "./assignment-hub.js";
import type { LeaderStore, Placement, PodSummary, StoredPod } from "./leader-store.js";
import type { NodeRegistry } from "./node-registry.js";
import { pauseIfSliceUsed } from "../shared/time-slices.js";
import { placePod } from "./place-pod.js";
import { podPhase } from "./pod-phase.js";

export interface PodView extends StoredPod {
  phase: PodPhase;
}

/** The leader's pod logic: apply, delete, placement, and what happens to the pods of a lost node. */
export class PodController {
  constructor(
    private readonly store: LeaderStore,
    private readonly registry: NodeRegistry,
    /** Tells a node that the set of pods it must run may have changed. */
    private readonly hub: Pick<AssignmentHub, "notify">,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: { podsOnLeader: boolean } = { podsOnLeader: true },
  ) {}

  /** Applies a whole validated manifest in one transaction. */
  async apply(entries: ManifestEntry[]): Promise<{ type: "pod"; name: string; outcome: ApplyOutcome }[]> {
    const applied = await this.store.applyPods(entries, new Date(this.clock.now()));
    const changed = applied.filter(({ outcome }) => outcome !== "unchanged");
    if (changed.length > 0)
      this.log.info(changed.length === 1 ? `pod/${changed[0].name} ${changed[0].outcome}` : `${changed.length} pods created or configured`);
    for (const { node, outcome } of applied) if (outcome === "configured" && node) this.hub.notify(node);
    if (applied.some(({ outcome }) => outcome === "created")) await this.schedulePending();
    return applied.map(({ name, outcome }) => ({ type: "pod", name, outcome }));
  }

  async list(): Promise<(PodSummary & { phase: PodPhase })[]> {
    return (await this.store.listPodSummaries()).map((pod) => ({ ...pod, phase: podPhase(pod, pod.node ? this.registry.status(pod.node) : undefined) }));
  }

  async get(name: string): Promise<{ pod: PodView; events: PodEvent[] } | undefined> {
    const pod = await this.store.getPod(name);
    return pod && { pod: this.view(pod), events: await this.store.podEvents(pod.uid) };
  }

  /** Starts deleting a pod; false when there is none. A placed pod is gone once its node has removed its containers. */
  async delete(name: string): Promise<boolean> {
    const pod = await this.store.getPod(name);
    if (!pod) return false;
    if (!pod.node) {
      await this.store.removePod(pod.uid);
      this.log.info(`pod/${name} deleted`);
      return true;
    }
    if (!pod.deletionRequestedAt) {
      await this.store.markDeleting(pod.uid, new Date(this.clock.now()));
      this.log.info(`pod/${name} terminating on ${pod.node}`);
      this.hub.notify(pod.node);
    }
    return true;
  }

  /** Places every unplaced pod; a pod no node can take gets a Warning event saying why (once per distinct reason). */
  async schedulePending(): Promise<void> {
    await this.place(await this.store.unscheduledPods());
  }

  /**
   * Moves the pods of lost nodes (NotReady past the reschedule delay) to Ready nodes, unless `heldBecause` says why
   * not (an event on each pod, once); deletions there are final either way. Returns how many pods it tried to move.
   */
  async rescheduleFrom(lostNodes: string[], heldBecause?: string): Promise<number> {
    const time = new Date(this.clock.now());
    let moving = 0;
    for (const node of lostNodes) {
      const pods = await this.store.podsOnNode(node);
      for (const pod of pods.filter((p) => p.deletionRequestedAt)) {
        // The node cannot confirm: the pod is forgotten now, and the node removes its containers if it comes back.
        await this.store.removePod(pod.uid);
        this.log.info(`pod/${pod.name} deleted (its node ${node} is lost)`);
      }
      const stranded = pods.filter((p) => !p.deletionRequestedAt);
      moving += heldBecause === undefined ? stranded.length : 0;
      if (heldBecause === undefined) await this.place(stranded);
      else
        for (const pod of stranded)
          await this.recordOnce(pod.uid, { time, type: "Warning", reason: "NotRescheduled", message: `not moved from ${node}: ${heldBecause}`, node });
    }
    return moving;
  }

  /** Records a NodeLost event on each pod of a node that stopped answering. */
  async nodeLost(node: string): Promise<void> {
    const time = new Date(this.clock.now());
    for (const pod of await this.store.podsOnNode(node)) {
      await this.store.recordEvent(pod.uid, {
        time,
        type: "Warning",
        reason: "NodeLost",
        message: `node ${node} stopped answering: the pod's status is Unknown`,
        node,
      });
    }
  }

  /** Places each pod on the best Ready node (`placePod`), counting the pods placed as it goes. */
  private async place(pods: StoredPod[]): Promise<void> {
    if (pods.length === 0) return;
    const counts = await this.store.podCountsByNode();
    const candidates = this.registry
      .list()
      .filter((node) => this.options.podsOnLeader || node.type !== "Leader")
      .map((node) => ({ name: node.name, status: node.status, podCount: counts.get(node.name) ?? 0 }));
    const time = new Date(this.clock.now());
    const placements: Placement[] = [];
    for (const pod of pods) {
      await pauseIfSliceUsed();
      const placement = placePod(candidates);
      if ("node" in placement) {
        const event: PodEvent = pod.node
          ? {
              time,
              type: "Warning",
              reason: "Rescheduled",
              message: `Rescheduled pod/${pod.name} from ${pod.node} to ${placement.node}: ${pod.node} was lost`,
              node: placement.node,
            }
          : { time, type: "Normal", reason: "Scheduled", message: `Successfully assigned pod/${pod.name} to ${placement.node}`, node: placement.node };
        placements.push({ uid: pod.uid, from: pod.node, node: placement.node, event });
        candidates.find((node) => node.name === placement.node)!.podCount++;
      } else {
        await this.recordOnce(pod.uid, {
          time,
          type: "Warning",
          reason: "FailedScheduling",
          message: `cannot place pod/${pod.name}: ${placement.reason}`,
          node: "",
        });
      }
    }
    const made = await this.store.assignPods(placements);
    for (const placement of made) if (placement.from) this.log.info(placement.event.message);
    if (made.length > 0) this.log.info(`placed ${made.length} pod${made.length === 1 ? "" : "s"}`);
    for (const node of new Set(made.map((placement) => placement.node))) this.hub.notify(node);
  }

  /** Records an event unless it is the pod's last one already: a condition that lasts is said once. */
  private async recordOnce(podUid: string, event: PodEvent): Promise<void> {
    if ((await this.store.lastEvent(podUid))?.message !== event.message) await this.store.recordEvent(podUid, event);
  }

  private view(pod: StoredPod): PodView {
    return { ...pod, phase: podPhase(pod, pod.node ? this.registry.status(pod.node) : undefined) };
  }
}
