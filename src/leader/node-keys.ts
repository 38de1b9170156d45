import { JoinRefused } from "./node-registry.js";
import type { LeaderStore } from "./leader-store.js";

/**
 * Which key each node name is bound to: the first key certified under a name keeps it, and a node's certificate is
 * honoured only while it carries that key. Another key claiming the name is refused until an admin removes the node.
 */
export class NodeKeys {
  private constructor(
    private readonly store: LeaderStore,
    private readonly keys: Map<string, string>,
  ) {}

  static async load(store: LeaderStore): Promise<NodeKeys> {
    return new NodeKeys(store, await store.nodes.nodeKeys());
  }

  has(name: string): boolean {
    return this.keys.has(name);
  }

  isBound(name: string, keyDigest: string): boolean {
    return this.keys.get(name) === keyDigest;
  }

  /** Binds `name` to the key, unless another key has it. */
  async bind(name: string, keyDigest: string, now: Date): Promise<void> {
    const bound = this.keys.get(name);
    if (bound === keyDigest) return;
    if (bound !== undefined) {
      throw new JoinRefused(
        `node name "${name}" belongs to another machine's key (or to a node whose data was lost): remove it first with \`cube node rm ${name}\`, or start this node with another --name`,
      );
    }
    // Taken in memory first: a second key certifying the same new name meanwhile is refused, not raced.
    this.keys.set(name, keyDigest);
    try {
      await this.store.nodes.bindNodeKey(name, keyDigest, now);
    } catch (error) {
      this.keys.delete(name);
      throw error;
    }
  }

  forget(name: string): void {
    this.keys.delete(name);
  }
}
