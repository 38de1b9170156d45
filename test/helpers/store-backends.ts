import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import pg from "pg";
import { LeaderStore } from "../../src/leader/store/leader-store.js";
import type { SecretsKeyring } from "../../src/leader/secrets/secrets-keyring.js";
import { TestPostgres } from "./postgres.js";

/** One engine the store tests run against. */
export interface StoreBackend {
  name: string;
  /** A fresh, empty place for a leader's state: a SQLite file in `dir`, or a database of its own. */
  location(dir: string): Promise<string>;
  /** Every byte the engine wrote to its disk for the store at `location` (to show what it keeps in clear). */
  bytes(location: string): Promise<Buffer>;
  /** A fresh, empty store. */
  open(dir: string, maxEventsPerPod?: number, keyring?: SecretsKeyring): Promise<LeaderStore>;
}

/** One PostgreSQL server for the whole run, started at first use, stopped when mocha ends. */
let server: Promise<TestPostgres> | undefined;
let databases = 0;

after(async () => {
  await (await server)?.stop();
});

async function freshPostgresDatabase(): Promise<string> {
  server ??= TestPostgres.start();
  const { url } = await server;
  const name = `store_${process.pid}_${++databases}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return url.replace(/\/cube$/, `/${name}`);
}

/** The server's files (tables and write-ahead log), once a checkpoint has written every table to them. */
async function postgresBytes(url: string): Promise<Buffer> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("checkpoint");
  } finally {
    await client.end();
  }
  const files = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(folder, entry.name)) : [join(folder, entry.name)]));
  const data = join((await server!).dir, "data");
  return Buffer.concat(
    [...files(join(data, "base")), ...files(join(data, "pg_wal"))]
      .filter((path) => !dirname(path).endsWith("archive_status"))
      .map((path) => readFileSync(path)),
  );
}

/** The store implementations that the store tests run against, each by the same tests. */
export const STORE_BACKENDS: StoreBackend[] = [
  {
    name: "SQLite",
    location: async (dir: string) => join(dir, `leader-${Math.random().toString(36).slice(2, 8)}.db`),
    // The database and its WAL.
    bytes: async (file: string) =>
      Buffer.concat([file, `${file}-wal`].filter((path) => statSync(path, { throwIfNoEntry: false })).map((path) => readFileSync(path))),
  },
  { name: "PostgreSQL", location: freshPostgresDatabase, bytes: postgresBytes },
].map((backend) => ({
  ...backend,
  open: async (dir: string, maxEventsPerPod?: number, keyring?: SecretsKeyring) =>
    LeaderStore.open(await backend.location(dir), maxEventsPerPod, undefined, keyring),
}));
