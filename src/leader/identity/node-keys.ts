import { revokedKey } from "../../shared/node-removal.js";
import { alreadyExists } from "../refusals.js";
import type { LeaderStoreContract } from "../store/store-contract.js";
import type { KeyBinding } from "../store/node-store.js";

/**
 * Which key each node name is bound to: the first key certified under a name keeps it, and a node's certificate is
 * honoured only while it carries that key. Another key claiming the name is refused until an admin removes the node;
 * removal revokes the key for good (a removed node, or whoever copied its key, comes back only with a new key). With
 * approval required, a newly bound name waits for an admin before its node may join.
 */
export class NodeKeys {
  private constructor(
    private readonly store: LeaderStoreContract,
    private readonly bindings: Map<string, KeyBinding>,
    /** Revoked key digest → the node whose key it was. */
    private readonly revoked: Map<string, string>,
    private readonly options: { requireApproval?: boolean; leaderName?: string },
  ) {}

  /** With `requireApproval`, a new name waits for an admin, but the leader's own (`leaderName`). */
  static async load(store: LeaderStoreContract, options: { requireApproval?: boolean; leaderName?: string } = {}): Promise<NodeKeys> {
    const { bindings, revoked } = await store.nodes.nodeKeys();
    return new NodeKeys(store, bindings, revoked, options);
  }

  has(name: string): boolean {
    return this.bindings.has(name);
  }

  isBound(name: string, keyDigest: string): boolean {
    return this.bindings.get(name)?.keyDigest === keyDigest;
  }

  isApproved(name: string): boolean {
    return this.bindings.get(name)?.approvedAt !== undefined;
  }

  /** The names bound to a key whose node waits for an admin's approval, with when they asked. */
  pending(): { name: string; since: Date }[] {
    return [...this.bindings].filter(([, binding]) => !binding.approvedAt).map(([name, binding]) => ({ name, since: binding.boundAt }));
  }

  /** When each bound name's last certificate ends. */
  certificateEnds(): Map<string, Date> {
    return new Map([...this.bindings].flatMap(([name, binding]) => (binding.certificateExpiresAt ? [[name, binding.certificateExpiresAt] as const] : [])));
  }

  /**
   * Binds `name` to the key of a certificate being issued, unless another key has the name or the key was revoked;
   * records when that certificate ends. A new name is approved at once unless approval is required.
   */
  async bind(name: string, keyDigest: string, now: Date, certificateExpiresAt?: Date): Promise<void> {
    const owner = this.revoked.get(keyDigest);
    if (owner !== undefined) {
      throw alreadyExists(revokedKey(owner));
    }
    const bound = this.bindings.get(name);
    if (bound !== undefined && bound.keyDigest !== keyDigest) {
      throw alreadyExists(
        `node name "${name}" belongs to another machine's key (or to a node whose data was lost): remove it first with \`cube node rm ${name}\`, or start this node with another --name`,
      );
    }
    if (bound !== undefined) {
      const renewed = { ...bound, certificateExpiresAt };
      await this.store.nodes.updateNodeKey(name, renewed);
      this.bindings.set(name, renewed);
      return;
    }
    // Taken in memory first: a second key certifying the same new name meanwhile is refused, not raced.
    const approved = !this.options.requireApproval || name === this.options.leaderName;
    const binding: KeyBinding = { keyDigest, boundAt: now, approvedAt: approved ? now : undefined, certificateExpiresAt };
    this.bindings.set(name, binding);
    try {
      await this.store.nodes.bindNodeKey(name, binding);
    } catch (error) {
      this.bindings.delete(name);
      throw error;
    }
  }

  /** Lets a node that waits for approval join; false when no node of that name waits. */
  async approve(name: string, now: Date): Promise<boolean> {
    const binding = this.bindings.get(name);
    if (!binding || binding.approvedAt) return false;
    const approved = { ...binding, approvedAt: now };
    await this.store.nodes.updateNodeKey(name, approved);
    this.bindings.set(name, approved);
    return true;
  }

  /** The node was removed (its store rows are gone, its key revoked there): its key is refused from now on. */
  revoke(name: string): void {
    const binding = this.bindings.get(name);
    if (binding) this.revoked.set(binding.keyDigest, name);
    this.bindings.delete(name);
  }
}
