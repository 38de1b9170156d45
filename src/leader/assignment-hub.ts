import type { DesiredPod } from "../shared/pod-codec.js";
import type { Logger } from "../shared/logger.js";

type Send = (pods: DesiredPod[]) => void;

/**
 * Sends each connected node the complete set of pods it must run, whenever that set may have changed. Changes that
 * come together are coalesced into one message per node, and only the nodes concerned are told.
 */
export class AssignmentHub {
  private readonly streams = new Map<string, Send>();
  private readonly queued = new Set<string>();
  private flushing?: Promise<void>;

  constructor(
    private readonly desiredPodsFor: (node: string) => Promise<DesiredPod[]>,
    private readonly log: Logger,
  ) {}

  /** Registers a node's stream (replacing an older one) and sends it its pods; returns the disconnect function. */
  connect(node: string, send: Send): () => void {
    this.streams.set(node, send);
    this.notify(node);
    return () => {
      if (this.streams.get(node) === send) this.streams.delete(node);
    };
  }

  notify(node: string): void {
    this.queued.add(node);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.queued.size > 0) {
      const nodes = [...this.queued];
      this.queued.clear();
      for (const node of nodes) {
        const send = this.streams.get(node);
        if (!send) continue;
        try {
          send(await this.desiredPodsFor(node));
        } catch (error) {
          this.log.error(`cannot send node ${node} its pods: ${(error as Error).message}`);
        }
      }
    }
    this.flushing = undefined;
  }
}
