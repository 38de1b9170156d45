import type { Clock } from "../shared/clock.js";

/** How long a stopping endpoint waits for nodes that do not acknowledge its removal (a node slow or cut off). */
export const DEFAULT_WITHDRAWAL_BOUND_MS = 3000;

interface Withdrawal {
  node: string;
  /** The version of the services without it. */
  version: number;
  until: number;
}

/**
 * Holds a pod's stop until no node sends it new traffic: a pod being deleted that the services last sent balance
 * over keeps running until every connected node has acknowledged services without it (or a short bound passed, for a
 * node that does not answer). Kubernetes sends SIGTERM while kube-proxies may still route to the pod; Cube does not.
 */
export class EndpointGate {
  /** The pods that the services as last sent balance over. */
  private serving = new Set<string>();
  private readonly withdrawn = new Map<string, Withdrawal>();
  private readonly acknowledged = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    /** The nodes whose streams are open now: they must acknowledge. */
    private readonly connected: () => Iterable<string>,
    /** A pod's stop is released: its node must be told again. */
    private readonly released: (node: string) => void,
    private readonly boundMs = DEFAULT_WITHDRAWAL_BOUND_MS,
  ) {}

  /** Whether a pod whose deletion was asked must keep running for now. */
  holds(pod: string): boolean {
    return this.serving.has(pod) || this.withdrawn.has(pod);
  }

  /**
   * Services of `version` were sent: they balance over the pods `serving`; those that left them and are being deleted
   * (`stoppingOn` gives such a pod's node) wait for the nodes' acknowledgements.
   */
  published(version: number, serving: Set<string>, stoppingOn: (pod: string) => string | undefined): void {
    const before = this.serving;
    this.serving = serving;
    for (const pod of before) {
      const node = serving.has(pod) ? undefined : stoppingOn(pod);
      if (node) this.withdrawn.set(pod, { node, version, until: this.clock.now() + this.boundMs });
    }
    this.check();
  }

  /** A node's rules follow the services of `version`. */
  acknowledge(node: string, version: number): void {
    this.acknowledged.set(node, Math.max(version, this.acknowledged.get(node) ?? 0));
    this.check();
  }

  /** A node's stream closed: it acknowledges nothing more until it is back (it is then sent all the services again). */
  forget(node: string): void {
    this.acknowledged.delete(node);
    this.check();
  }

  /** Releases the pods every connected node has acknowledged the removal of, or whose bound passed. */
  check(): void {
    const now = this.clock.now();
    const nodes = [...this.connected()];
    for (const [pod, withdrawal] of this.withdrawn) {
      const everyNode = nodes.every((node) => (this.acknowledged.get(node) ?? 0) >= withdrawal.version);
      if (!everyNode && now < withdrawal.until) continue;
      this.withdrawn.delete(pod);
      this.released(withdrawal.node);
    }
  }
}
