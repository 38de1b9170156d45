import type { Clock } from "../shared/clock.js";
import type { PodEvent } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import { runInSlices } from "../shared/time-slices.js";
import type { AssignmentHub } from "./assignment-hub.js";
import type { NodeRegistry } from "./node-registry.js";
import type { LeaderMetrics } from "./leader-metrics.js";
import type { PlacementCandidate, PlacementSettings, TakenPort } from "./place-pod.js";
import { placingPods } from "./place-pods.js";
import { keepsDataOnItsNode, podNeeds, publishedPorts, takenBy } from "./pod-needs.js";
import type { Placement, StoredPod } from "./store/leader-store.js";
import { DEFAULT_HOST_PORT_RANGE } from "./service-addresses.js";
import { nodePortsOf } from "./store/service-store.js";
import type { LeaderStoreContract } from "./store/store-contract.js";

export interface PlacementOptions {
  /** Whether the leader's own node runs pods. */
  podsOnLeader: boolean;
  /** Default: spread, auto host ports from 30000-32767. */
  placement?: PlacementSettings;
  /** The leader's metrics, when its server serves them: placement latencies. */
  metrics?: Pick<LeaderMetrics, "podPlaced">;
}

export const DEFAULT_PLACEMENT: PlacementSettings = { policy: "spread", hostPortRange: DEFAULT_HOST_PORT_RANGE };

/**
 * Places pods, for the pod controller: gathers the nodes and what they hold, has `placingPods` decide (a pure
 * function), then writes what it decided, with an event on each pod, and tells the nodes concerned.
 */
export class PodPlacer {
  constructor(
    private readonly store: LeaderStoreContract,
    private readonly registry: NodeRegistry,
    private readonly hub: Pick<AssignmentHub, "notify">,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: PlacementOptions,
  ) {}

  /** Places the pods: gathers the nodes and what they hold, has `placingPods` decide, writes what it decided. */
  async place(pods: StoredPod[], whyMoved = "was lost"): Promise<void> {
    if (pods.length === 0) return;
    const allocation = await this.store.pods.allocationByNode();
    const homes = await this.store.pods.volumeHomes.all();
    // Nodes that share a container engine (a local cluster's) share its host ports: one list of taken ports per
    // engine, which every one of its nodes sees, and which a placement on any of them adds to.
    const nodes = this.registry.list();
    const engineOf = (node: (typeof nodes)[number]) => node.engineId || `node ${node.name}`;
    const takenByEngine = new Map<string, TakenPort[]>();
    // A service's node port is open on every node: no pod's host port may take it.
    const nodePorts: TakenPort[] = (await this.store.services.list()).flatMap((service) =>
      nodePortsOf(service.spec).map((p) => ({ hostPort: p.nodePort, protocol: p.protocol, hostIP: "*" })),
    );
    for (const node of nodes) {
      const taken = takenByEngine.get(engineOf(node)) ?? [...nodePorts];
      taken.push(...takenBy(allocation.get(node.name)?.hostPorts ?? []));
      takenByEngine.set(engineOf(node), taken);
    }
    const candidates = nodes
      .filter((node) => this.options.podsOnLeader || node.type !== "Leader")
      .map((node): PlacementCandidate => {
        const { cpuMillis = 0, memoryBytes = 0, pods: count = 0, owners = new Map<string, number>() } = allocation.get(node.name) ?? {};
        return {
          name: node.name,
          status: node.status,
          cordoned: node.cordoned,
          noPodSubnet: node.podSubnet === undefined,
          labels: node.labels,
          capacity: { cpuMillis: node.cpuMillis, memoryBytes: node.memoryBytes },
          allocated: { cpuMillis, memoryBytes, pods: count },
          takenPorts: takenByEngine.get(engineOf(node))!,
          owners: new Map(owners),
        };
      });
    const time = new Date(this.clock.now());
    const round = await runInSlices(
      placingPods(
        pods.map((pod) => ({ pod, needs: { ...podNeeds(pod.spec, keepsDataOnItsNode(pod) ? homes.get(pod.name) : undefined), owner: pod.owner } })),
        candidates,
        this.options.placement ?? DEFAULT_PLACEMENT,
      ),
    );
    const placements = round.placed.map(({ pod, node, autoPorts }): Placement => {
      const event: PodEvent = pod.node
        ? { time, type: "Warning", reason: "Rescheduled", message: `Rescheduled pod/${pod.name} from ${pod.node} to ${node}: ${pod.node} ${whyMoved}`, node }
        : { time, type: "Normal", reason: "Scheduled", message: `Successfully assigned pod/${pod.name} to ${node}`, node };
      const volumesHome = keepsDataOnItsNode(pod) ? pod.name : undefined;
      return { uid: pod.uid, from: pod.node, node, hostPorts: publishedPorts(pod.spec, autoPorts), volumesHome, event };
    });
    for (const { pod, reason } of round.unplaceable) {
      await this.recordOnce(pod.uid, { time, type: "Warning", reason: "FailedScheduling", message: `cannot place pod/${pod.name}: ${reason}`, node: "" });
    }
    const made = await this.store.pods.assign(placements);
    const created = new Map(round.placed.map(({ pod }) => [pod.uid, pod.createdAt]));
    for (const placement of made) this.options.metrics?.podPlaced(placement.uid, created.get(placement.uid)!, placement.from === undefined);
    for (const placement of made) if (placement.from) this.log.info(placement.event.message);
    if (made.length > 0) this.log.info(`placed ${made.length} pod${made.length === 1 ? "" : "s"}`);
    for (const node of new Set(made.map((placement) => placement.node))) this.hub.notify(node);
  }

  /** Records an event unless it is the pod's last one already: a condition that lasts is said once. */
  async recordOnce(podUid: string, event: PodEvent): Promise<void> {
    if ((await this.store.lastEvent(podUid))?.message !== event.message) await this.store.recordEvent(podUid, event);
  }
}
