import { randomBytes, randomUUID } from "node:crypto";
import type { ApplyOutcome, ConfigResource, KeyedKind, KeyedValues, PodSpec, PodStatusReport, SecretResource } from "../../shared/domain.js";
import { decodeContent, encodeContent, keyedContent } from "../../shared/keyed-content.js";
import { keyedRef, referencesOf } from "../../shared/pod-references.js";
import type { SecretsKeyring } from "../secrets/secrets-keyring.js";
import { canonicalJson } from "../spec-hash.js";
import { CURRENT_STATUS_JSON } from "./leader-rows.js";
import type { Sql, StoreDatabase } from "./store-database.js";

/** A secret or config as the leader shows it: its keys and their sizes, never its values. */
export interface StoredKeyed {
  uid: string;
  kind: KeyedKind;
  name: string;
  labels: Record<string, string>;
  /** "registry" for a registry secret, "" otherwise. */
  secretType: string;
  keys: { key: string; bytes: number }[];
  revision: number;
  contentId: string;
  createdAt: Date;
  updatedAt: Date;
}

const STATEMENTS = {
  byName: "select uid, labels_json, secret_type, payload, content_id, revision from keyed_values where kind = ? and name = ?",
  insert:
    "insert into keyed_values (uid, kind, name, labels_json, secret_type, keys_json, payload, content_id, revision, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
  update: "update keyed_values set labels_json = ?, secret_type = ?, keys_json = ?, payload = ?, content_id = ?, revision = ?, updated_at = ? where uid = ?",
  all: "select uid, kind, name, labels_json, secret_type, keys_json, content_id, revision, created_at, updated_at from keyed_values order by kind, name",
  one: "select uid, kind, name, labels_json, secret_type, keys_json, content_id, revision, created_at, updated_at from keyed_values where kind = ? and name = ?",
  contentId: "select content_id from keyed_values where kind = ? and name = ?",
  sealed: "select uid, kind, name, payload from keyed_values where kind = 'secret'",
  reseal: "update keyed_values set payload = ? where uid = ?",
  remove: "delete from keyed_values where kind = ? and name = ?",
  // Pods that may use one (their spec names it: narrowed by referencesOf), with the status their node last reported.
  candidates: `select name, spec_json, ${CURRENT_STATUS_JSON} as status_json from pods where deletion_requested_at is null and spec_json like '%' || ? || '%' order by name`,
};

interface KeyedRow {
  uid: string;
  kind: KeyedKind;
  name: string;
  labels_json: string;
  secret_type: string;
  keys_json: string;
  content_id: string;
  revision: number;
  created_at: number;
  updated_at: number;
}

/**
 * Secrets and configs in the leader's database. A secret's values are sealed with the keyring (its name as associated
 * data) before they reach the database; a config's are stored as they are. Each write is compared with what is stored once
 * opened, so that applying the same values again changes nothing (a sealed value differs at every write: fresh nonce).
 */
export class KeyedStore {
  constructor(
    private readonly database: StoreDatabase,
    private readonly keyring: SecretsKeyring,
  ) {}

  /** Creates or updates one (inside the caller's transaction); `contentChanged`: its values are new (pods using it follow). */
  async applyOne(sql: Sql, resource: SecretResource | ConfigResource, now: Date): Promise<{ outcome: ApplyOutcome; contentChanged: boolean }> {
    const { byName, insert, update } = STATEMENTS;
    const { kind, name } = { kind: resource.type, name: resource.metadata.name };
    const content = keyedContent(resource);
    const encoded = encodeContent(content);
    const labelsJson = canonicalJson(resource.metadata.labels);
    const secretType = resource.type === "secret" && resource.registry ? "registry" : "";
    const keysJson = JSON.stringify([...content.entries()].map(([key, value]) => ({ key, bytes: value.length })).sort((a, b) => (a.key < b.key ? -1 : 1)));
    const ref = keyedRef(kind, name);
    // Sealed only when written: re-applying the same values seals nothing.
    const payload = () => (kind === "secret" ? this.keyring.seal(encoded, ref) : encoded);
    type Existing = { uid: string; labels_json: string; secret_type: string; payload: Buffer; content_id: string; revision: number };
    const existing = await sql.get<Existing>(byName, kind, name);
    if (!existing) {
      await sql.run(insert, randomUUID(), kind, name, labelsJson, secretType, keysJson, payload(), newContentId(), now.getTime(), now.getTime());
      return { outcome: "created", contentChanged: true };
    }
    const before = kind === "secret" ? this.keyring.open(existing.payload, ref) : existing.payload;
    const same = before.equals(encoded) && existing.secret_type === secretType;
    if (same && existing.labels_json === labelsJson) return { outcome: "unchanged", contentChanged: false };
    const [contentId, revision] = same ? [existing.content_id, existing.revision] : [newContentId(), existing.revision + 1];
    await sql.run(update, labelsJson, secretType, keysJson, same ? existing.payload : payload(), contentId, revision, now.getTime(), existing.uid);
    return { outcome: "configured", contentChanged: !same };
  }

  /** The content id of each reference that exists ("secret/NAME" → id), inside the caller's transaction. */
  async contentIds(sql: Sql, refs: string[]): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    for (const ref of refs) {
      const [kind, name] = splitRef(ref);
      const row = await sql.get<{ content_id: string }>(STATEMENTS.contentId, kind, name);
      if (row) ids[ref] = row.content_id;
    }
    return ids;
  }

  async currentIds(refs: string[]): Promise<Record<string, string>> {
    return this.database.read((sql) => this.contentIds(sql, refs));
  }

  /** The values of those of `refs` that exist, opened: what a node running pods that use them is sent. */
  async values(refs: string[]): Promise<KeyedValues[]> {
    return this.database.read(async (sql) => {
      const values: KeyedValues[] = [];
      for (const ref of refs) {
        const [kind, name] = splitRef(ref);
        const row = await sql.get<{ payload: Buffer; content_id: string; revision: number; secret_type: string }>(STATEMENTS.byName, kind, name);
        if (!row) continue;
        const encoded = kind === "secret" ? this.keyring.open(row.payload, ref) : row.payload;
        values.push({ kind, name, revision: row.revision, contentId: row.content_id, secretType: row.secret_type, data: decodeContent(encoded) });
      }
      return values;
    });
  }

  async list(): Promise<StoredKeyed[]> {
    return (await this.database.read((sql) => sql.all<KeyedRow>(STATEMENTS.all))).map(toStoredKeyed);
  }

  async get(kind: KeyedKind, name: string): Promise<StoredKeyed | undefined> {
    const row = await this.database.read((sql) => sql.get<KeyedRow>(STATEMENTS.one, kind, name));
    return row && toStoredKeyed(row);
  }

  /** The pods that use one, each with the revision its node says it gave the pod (0: none yet). */
  async usersOf(kind: KeyedKind, name: string): Promise<{ pod: string; revision: number }[]> {
    const ref = keyedRef(kind, name);
    type Candidate = { name: string; spec_json: string; status_json: string | null };
    const rows = await this.database.read((sql) => sql.all<Candidate>(STATEMENTS.candidates, JSON.stringify(name)));
    return rows
      .filter((row) => referencesOf(JSON.parse(row.spec_json) as PodSpec).includes(ref))
      .map((row) => {
        const used = row.status_json ? (JSON.parse(row.status_json) as PodStatusReport).used : undefined;
        return { pod: row.name, revision: used?.find((u) => u.kind === kind && u.name === name)?.revision ?? 0 };
      });
  }

  /** Deletes one at once (pods using it keep what their node has); false when there is none. */
  async remove(kind: KeyedKind, name: string): Promise<boolean> {
    return this.database.write(async (sql) => (await sql.run(STATEMENTS.remove, kind, name)) > 0);
  }

  /** Seals again, under the keyring's primary key, every secret sealed under another; in one transaction. Returns how many. */
  async resealAll(): Promise<number> {
    const { sealed, reseal } = STATEMENTS;
    return this.database.write(async (sql) => {
      let count = 0;
      for (const row of await sql.all<{ uid: string; kind: KeyedKind; name: string; payload: Buffer }>(sealed)) {
        if (this.keyring.isCurrent(row.payload)) continue;
        const ref = keyedRef(row.kind, row.name);
        await sql.run(reseal, this.keyring.seal(this.keyring.open(row.payload, ref), ref), row.uid);
        count += 1;
      }
      return count;
    });
  }
}

function splitRef(ref: string): [KeyedKind, string] {
  const slash = ref.indexOf("/");
  return [ref.slice(0, slash) as KeyedKind, ref.slice(slash + 1)];
}

/** Random, not a hash of the values: a hash of a short password in the database would let a copy of it guess the password. */
function newContentId(): string {
  return randomBytes(8).toString("hex");
}

function toStoredKeyed(row: KeyedRow): StoredKeyed {
  return {
    uid: row.uid,
    kind: row.kind,
    name: row.name,
    labels: JSON.parse(row.labels_json),
    secretType: row.secret_type,
    keys: JSON.parse(row.keys_json),
    revision: row.revision,
    contentId: row.content_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
