import { conflict } from "./refusals.js";
import type { Logger } from "../shared/logger.js";
import type { AssignmentHub } from "./assignment-hub.js";
import { detectDisruption, type Disruption } from "./detect-disruption.js";
import type { NodeKeys } from "./identity/node-keys.js";
import type { NodeRegistry } from "./node-registry.js";
import type { PodController } from "./pod-controller.js";

export interface NodeLifecycleOptions {
  /** How much longer than the grace period a node must be silent before its pods move elsewhere. */
  rescheduleDelayMs: number;
  /** The share of followers NotReady at once (a fraction) from which the leader moves no pod. */
  disruptionThreshold: number;
}

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/**
 * The leader's periodic pass over its nodes (as Kubernetes' node lifecycle controller): a node gone silent turns
 * NotReady (its session ends, its pods get a NodeLost event); the pods of a node lost for longer move to Ready nodes,
 * unless most followers are lost at once, when the leader's own network is the likelier fault; pods waiting for a
 * node are placed.
 */
export class NodeLifecycle {
  private disruption?: Disruption;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly pods: PodController,
    /** Ends the streams of the nodes that turn NotReady. */
    private readonly hub: Pick<AssignmentHub, "disconnect" | "networkChanged">,
    private readonly keys: Pick<NodeKeys, "revoke" | "has">,
    private readonly log: Logger,
    private readonly options: NodeLifecycleOptions,
  ) {}

  /**
   * Forgets a node an admin removed: its session ends, its key is revoked (its name is free for another key), its
   * pods move to other nodes now. A node that holds pods' persistent data is removed only with `force` (their data
   * stays on it; events say so). Returns how many pods moved; undefined when no such node is known.
   */
  async remove(name: string, force = false): Promise<number | undefined> {
    const node = this.registry.list().find((n) => n.name === name);
    if (!node && !this.keys.has(name)) return undefined;
    if (node?.type === "Leader") throw conflict("the leader's own node cannot be removed");
    const data = await this.pods.persistentDataOn(name);
    if (data.length > 0 && !force) {
      const held = data.map(({ pod, volumes }) => `pod/${pod.name} (${volumes.join(", ")})`).join(", ");
      throw conflict(
        `node ${name} holds the persistent volumes of ${held}: removed, those pods would start on other nodes with new, empty volumes while their data stays on ${name}; move the data first, or remove the node anyway with --force`,
      );
    }
    await this.registry.remove(name);
    this.keys.revoke(name);
    this.hub.disconnect(name, "the node was removed by an admin");
    this.hub.networkChanged();
    return this.pods.nodeRemoved(name);
  }

  /** Cordons a node and moves its pods elsewhere (`PodController.drain`); undefined when there is no such node. */
  async drain(name: string): Promise<Awaited<ReturnType<PodController["drain"]>> | undefined> {
    if (!(await this.registry.setCordoned(name, true))) return undefined;
    return this.pods.drain(name);
  }

  async check(): Promise<void> {
    for (const node of await this.registry.checkLiveness()) {
      this.hub.disconnect(node, "the node was NotReady: join again");
      await this.pods.nodeLost(node);
    }
    // First: the end of a disruption renews the grace of the nodes still NotReady, which are then not lost yet.
    const heldBecause = this.heldBecause();
    await this.pods.rescheduleFrom(this.registry.lostNodes(this.options.rescheduleDelayMs), heldBecause);
    await this.pods.schedulePendingIfChanged();
  }

  /** Why no pod may move now, if so; says so in the log when that starts and when it ends. */
  private heldBecause(): string | undefined {
    const { disruptionThreshold } = this.options;
    const disruption = detectDisruption(this.registry.list(), disruptionThreshold);
    const why =
      disruption && `${disruption.notReady} of ${disruption.followers} followers are NotReady at once, so the leader's own network is the likelier fault`;
    if (disruption && !this.disruption) {
      this.log.warn(`${why}: no pod moves while ${percent(disruptionThreshold)} or more of the followers are NotReady (--disruption-threshold)`);
    } else if (!disruption && this.disruption) {
      // Nodes come back one by one: those not back yet get a fresh grace period before they count as lost.
      this.registry.renewGrace();
      this.log.info("fewer followers are NotReady: the nodes still NotReady get a fresh grace period, then their pods move");
    }
    this.disruption = disruption;
    return why;
  }
}
