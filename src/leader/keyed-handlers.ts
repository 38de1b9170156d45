import type { GetResponse, KeyedStatus, ResourceSummary } from "../gen/cube.js";
import type { KeyedKind } from "../shared/domain.js";
import { manifestData } from "../shared/keyed-content.js";
import { keyedRef } from "../shared/pod-references.js";
import { resourceNotFound } from "./resource-checks.js";
import type { StoredKeyed } from "./store/keyed-store.js";
import type { KeyedStoreContract } from "./store/store-contract.js";

/** What the CLI sees of secrets and configs: keys and sizes; a config's values too (a config is not secret). */
export type KeyedSource = Pick<KeyedStoreContract, "list" | "get" | "values" | "usersOf">;

function keyedStatus(stored: StoredKeyed, usedBy: KeyedStatus["usedBy"]): KeyedStatus {
  return { kind: stored.kind, secretType: stored.secretType, keys: stored.keys, revision: stored.revision, updatedAt: stored.updatedAt, usedBy };
}

/** Every secret and config of the kinds wanted, as `cube list` shows them (their status: their type). */
export async function keyedSummaries(store: KeyedSource, kinds: ReadonlySet<KeyedKind>): Promise<ResourceSummary[]> {
  return (await store.list())
    .filter((stored) => kinds.has(stored.kind))
    .map((stored) => ({
      type: stored.kind,
      name: stored.name,
      status: stored.kind === "config" ? "" : stored.secretType || "Opaque",
      createdAt: stored.createdAt,
      labels: stored.labels,
      readyContainers: 0,
      containers: 0,
      restarts: 0,
      ports: [],
      keyed: keyedStatus(stored, []),
    }));
}

/**
 * One secret or config. Its "manifest" is what can be shown: a secret's metadata and key sizes only (its values never
 * leave the leader but for the nodes that run pods using it); a config's data as applied.
 */
export async function getKeyed(store: KeyedSource, kind: KeyedKind, name: string): Promise<GetResponse> {
  const stored = await store.get(kind, name);
  if (!stored) throw resourceNotFound(kind, name);
  const metadata = { name, labels: stored.labels };
  let shown: unknown = { type: kind, metadata, keys: Object.fromEntries(stored.keys.map(({ key, bytes }) => [key, `${bytes} bytes`])) };
  if (kind === "config") {
    const [values] = await store.values([keyedRef(kind, name)]);
    shown = { type: kind, metadata, ...manifestData(values?.data ?? []) };
  }
  return { manifestJson: JSON.stringify(shown), events: [], pods: [], revisions: [], keyed: keyedStatus(stored, await store.usersOf(kind, name)) };
}
