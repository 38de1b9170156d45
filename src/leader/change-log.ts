import { randomUUID } from "node:crypto";
import type { ResourceSummary } from "../gen/cube.js";

export type ChangeKind = "ADDED" | "MODIFIED" | "DELETED";

/** One change of one resource, numbered as etcd's revisions are: each change one more than the last. */
export interface Change {
  revision: number;
  kind: ChangeKind;
  item: ResourceSummary;
  /** The resource as it was before (MODIFIED, DELETED): whether a watch showed it is known from it. */
  previous?: ResourceSummary;
}

/** How many changes the log keeps: a watcher further behind than that (a stalled client) is told to list again. */
export const CHANGES_KEPT = 20_000;

const keyOf = (item: ResourceSummary) => `${item.type}/${item.name}`;

/**
 * Every resource's changes as watchers see them: the whole list is compared with the last once per change of the
 * store, for all watchers, and each watcher then costs only the changes after its revision (it waits for the next
 * one, and reads none of the list). Kept in memory, for this leader's term: a watch does not outlive its leader.
 */
export class ChangeLog {
  private resources = new Map<string, { item: ResourceSummary; json: string }>();
  /** The last `kept` changes, oldest first, their revisions consecutive. */
  private changes: Change[] = [];
  private readonly listeners = new Set<() => void>();
  private current = 0;

  /**
   * `kept`: how many changes to keep (CHANGES_KEPT). `id` names this log: its revisions mean nothing to another (a
   * leader started again, or another leader), so a watch resumes from a revision of the same log only.
   */
  constructor(
    private readonly kept = CHANGES_KEPT,
    readonly id: string = randomUUID(),
  ) {}

  /** The revision of the last change recorded. */
  get revision(): number {
    return this.current;
  }

  /** Records how `items` (every resource, as a list gives it) differs from the list last recorded. */
  record(items: ResourceSummary[]): void {
    const next = new Map<string, { item: ResourceSummary; json: string }>();
    const found: Omit<Change, "revision">[] = [];
    for (const item of items) {
      const key = keyOf(item);
      const json = JSON.stringify(item);
      const before = this.resources.get(key);
      if (!before) found.push({ kind: "ADDED", item });
      else if (before.json !== json) found.push({ kind: "MODIFIED", item, previous: before.item });
      next.set(key, { item, json });
    }
    for (const [key, { item }] of this.resources) if (!next.has(key)) found.push({ kind: "DELETED", item, previous: item });
    this.resources = next;
    if (found.length === 0) return;
    for (const change of found) this.changes.push({ ...change, revision: ++this.current });
    if (this.changes.length > this.kept) this.changes = this.changes.slice(-this.kept);
    for (const listener of this.listeners) listener();
  }

  /** The resources as they stand, at the revision they stand at: a watch's first answer. */
  snapshot(): { revision: number; items: ResourceSummary[] } {
    return { revision: this.current, items: [...this.resources.values()].map(({ item }) => item) };
  }

  /** The changes after `revision`, oldest first; undefined when the log no longer holds them all. */
  since(revision: number): Change[] | undefined {
    const first = this.changes[0]?.revision ?? this.current + 1;
    if (revision < first - 1) return undefined;
    return this.changes.slice(revision - first + 1);
  }

  /** Calls `listener` after each record that found changes; returns what stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
