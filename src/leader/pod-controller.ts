import type { Clock } from "../shared/clock.js";
import type { PodEvent, PodPhase } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import { validateManifest } from "../shared/manifest.js";
import type { DesiredPod } from "../shared/pod-codec.js";
import type { ApplyOutcome, LeaderStore, NodeUpdate, Placement, PodSummary, StoredPod } from "./leader-store.js";
import type { NodeRegistry } from "./node-registry.js";
import { placePod } from "./place-pod.js";
import { podPhase } from "./pod-phase.js";

/** A manifest with problems: nothing of it was applied. */
export class InvalidManifest extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

export interface PodView extends StoredPod {
  phase: PodPhase;
}

/** The leader's pod logic: apply, delete, placement, and what the nodes report. */
export class PodController {
  constructor(
    private readonly store: LeaderStore,
    private readonly registry: NodeRegistry,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Tells a node that the set of pods it must run may have changed. */
    private readonly notifyNode: (node: string) => void,
    private readonly options: { podsOnLeader: boolean } = { podsOnLeader: true },
  ) {}

  /** Validates the whole manifest, then applies all of it in one transaction. */
  async apply(document: unknown): Promise<{ type: "pod"; name: string; outcome: ApplyOutcome }[]> {
    const validation = validateManifest(document);
    if (!validation.ok) throw new InvalidManifest(validation.problems);
    const items = Array.isArray(document) ? document : [document];
    const applied = await this.store.applyPods(
      validation.resources.map((resource, index) => ({ resource, manifest: items[index] })),
      new Date(this.clock.now()),
    );
    const changed = applied.filter(({ outcome }) => outcome !== "unchanged");
    if (changed.length > 0) this.log.info(changed.length === 1 ? `pod/${changed[0].name} ${changed[0].outcome}` : `${changed.length} pods created or configured`);
    for (const { node, outcome } of applied) if (outcome === "configured" && node) this.notifyNode(node);
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
      this.notifyNode(pod.node);
    }
    return true;
  }

  /** Places every unplaced pod; a pod no node can take gets a Warning event saying why (once per distinct reason). */
  async schedulePending(): Promise<void> {
    await this.place(await this.store.unscheduledPods());
  }

  /** Moves the pods of lost nodes (NotReady past the reschedule delay) to Ready nodes; deletions there are final. */
  async rescheduleFrom(lostNodes: string[]): Promise<void> {
    for (const node of lostNodes) {
      const pods = await this.store.podsOnNode(node);
      for (const pod of pods.filter((p) => p.deletionRequestedAt)) {
        // The node cannot confirm: the pod is forgotten now, and the node removes its containers if it comes back.
        await this.store.removePod(pod.uid);
        this.log.info(`pod/${pod.name} deleted (its node ${node} is lost)`);
      }
      await this.place(pods.filter((p) => !p.deletionRequestedAt));
    }
  }

  /** Records a NodeLost event on each pod of a node that stopped answering. */
  async nodeLost(node: string): Promise<void> {
    const time = new Date(this.clock.now());
    for (const pod of await this.store.podsOnNode(node)) {
      await this.store.recordEvent(pod.uid, { time, type: "Warning", reason: "NodeLost", message: `node ${node} stopped answering: the pod's status is Unknown`, node });
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
      const placement = placePod(candidates);
      if ("node" in placement) {
        const event: PodEvent = pod.node
          ? { time, type: "Warning", reason: "Rescheduled", message: `Rescheduled pod/${pod.name} from ${pod.node} to ${placement.node}: ${pod.node} was lost`, node: placement.node }
          : { time, type: "Normal", reason: "Scheduled", message: `Successfully assigned pod/${pod.name} to ${placement.node}`, node: placement.node };
        placements.push({ uid: pod.uid, from: pod.node, node: placement.node, event });
        candidates.find((node) => node.name === placement.node)!.podCount++;
      } else {
        const message = `cannot place pod/${pod.name}: ${placement.reason}`;
        const last = await this.store.lastEvent(pod.uid);
        if (last?.message !== message) await this.store.recordEvent(pod.uid, { time, type: "Warning", reason: "FailedScheduling", message, node: "" });
      }
    }
    const made = await this.store.assignPods(placements);
    for (const placement of made) if (placement.from) this.log.info(placement.event.message);
    if (made.length > 0) this.log.info(`placed ${made.length} pod${made.length === 1 ? "" : "s"}`);
    for (const node of new Set(made.map((placement) => placement.node))) this.notifyNode(node);
  }

  /** The pods a node must run: placed on it and not being deleted. */
  async desiredPodsFor(node: string): Promise<DesiredPod[]> {
    return (await this.store.podsOnNode(node))
      .filter((pod) => !pod.deletionRequestedAt)
      .map(({ uid, name, labels, spec, specHash }) => ({ uid, name, labels, spec, specHash }));
  }

  /** Stores what nodes reported, all in one transaction. */
  async recordNodeUpdates(updates: NodeUpdate[]): Promise<void> {
    for (const name of await this.store.applyNodeUpdates(updates)) this.log.info(`pod/${name} deleted`);
  }

  private view(pod: StoredPod): PodView {
    return { ...pod, phase: podPhase(pod, pod.node ? this.registry.status(pod.node) : undefined) };
  }
}
