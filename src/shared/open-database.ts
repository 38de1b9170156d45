import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, type Migration } from "kysely";

/** An open database: kysely for most queries, statements prepared once for the hot paths. */
export interface OpenedDatabase<Schema> {
  db: Kysely<Schema>;
  /**
   * Runs `work` as one transaction of prepared statements on the raw connection, holding kysely's lock on that
   * connection meanwhile, so that no kysely query or transaction interleaves with it. Kysely prepares each statement
   * anew (80 % of the leader's CPU for 10 000 pods); a statement prepared once and run 10 000 times costs far less.
   * Work that awaits (to let other requests in during thousands of rows) keeps the lock: other queries wait for its end.
   */
  inBatch<T>(work: () => T | Promise<T>): Promise<T>;
  /** Prepares statements once, by name, on the same connection as `db`, for the hot paths (run them in `inBatch`). */
  prepareAll<Names extends string>(sql: Record<Names, string>): Record<Names, Database.Statement>;
  /** The statement of this text, prepared at its first use and kept (run it in `inBatch`). */
  statement(text: string): Database.Statement;
}

/** A data directory of ":memory:" keeps every database in memory (for tests and simulated nodes): nothing survives. */
export const IN_MEMORY = ":memory:";

/** Where the database `name` of a server lives, in its data directory. */
export function databaseFile(dataDir: string, name: string): string {
  return dataDir === IN_MEMORY ? IN_MEMORY : join(dataDir, name);
}

/**
 * Opens (creating it if needed) a SQLite database in WAL mode and brings its schema up to date with `migrations`
 * (applied in the order of their names). Commits are fsynced (synchronous = FULL): an acknowledged write survives
 * a crash of the process or of the machine.
 */
export async function openDatabase<Schema>(file: string, migrations: Record<string, Migration>): Promise<OpenedDatabase<Schema>> {
  try {
    return await openChecked<Schema>(file, migrations);
  } catch (error) {
    throw new Error(describeStorageError(file, error));
  }
}

/** What a storage error means for the user: the file, SQLite's words, and the likely cause. */
export function describeStorageError(file: string, error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  if (message.includes(file)) return message;
  const cause =
    code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB"
      ? "the file is damaged: restore it, or move it aside to start this server's state afresh"
      : code === "SQLITE_FULL"
        ? "the disk is full"
        : code?.startsWith("SQLITE_READONLY") || code === "SQLITE_CANTOPEN" || code === "EACCES" || code === "EROFS"
          ? "the file or its directory cannot be written: check their owner, mode, and that the disk is not mounted read-only"
          : code?.startsWith("SQLITE_IOERR")
            ? "the disk failed to read or write it: check the disk and the system log"
            : undefined;
  return `the database ${file}: ${message}${cause ? ` (${cause})` : ""}`;
}

async function openChecked<Schema>(file: string, migrations: Record<string, Migration>): Promise<OpenedDatabase<Schema>> {
  if (file !== IN_MEMORY) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Database(file, { timeout: 100 });
  // Its owner's only: it holds every pod's environment (SQLite gives its -wal and -shm files the database's mode).
  if (file !== IN_MEMORY) for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
  // One server per database: the lock is held for the connection's life, and the system drops it if the process
  // dies, so a second server started on the same data directory is refused at once (not two nodes with one identity).
  sqlite.pragma("locking_mode = EXCLUSIVE");
  try {
    sqlite.pragma("journal_mode = WAL");
  } catch (error) {
    sqlite.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new Error(`the database ${file} is in use by another process: is another cube-server running with this --data-dir?`);
    }
    throw error;
  }
  sqlite.pragma("synchronous = FULL");
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) {
    await db.destroy();
    throw new Error(`cannot migrate the database ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const prepared = new Map<string, Database.Statement>();
  return {
    db,
    inBatch: (work) =>
      db.connection().execute(async () => {
        sqlite.exec("BEGIN");
        try {
          const result = await work();
          sqlite.exec("COMMIT");
          return result;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
          throw error;
        }
      }),
    prepareAll: <Names extends string>(statements: Record<Names, string>) =>
      Object.fromEntries(Object.entries<string>(statements).map(([name, text]) => [name, sqlite.prepare(text)])) as Record<Names, Database.Statement>,
    statement: (text) => {
      let statement = prepared.get(text);
      if (!statement) prepared.set(text, (statement = sqlite.prepare(text)));
      return statement;
    },
  };
}

/** A store over one database: kysely for most queries, statements prepared once for its hot paths (run in `inBatch`). */
export abstract class SqliteStore<Schema, Statement extends string> {
  protected readonly db: Kysely<Schema>;
  protected readonly statements: Record<Statement, Database.Statement>;

  protected constructor(
    protected readonly database: OpenedDatabase<Schema>,
    statements: Record<Statement, string>,
  ) {
    this.db = database.db;
    this.statements = database.prepareAll(statements);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
