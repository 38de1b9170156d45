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
  /**
   * Where reads run: with `concurrentReads` (a database in a file), on a connection of their own that sees the last
   * commit and never waits for a write under way, even one that pauses between its rows; else as `inBatch`.
   */
  reads: {
    inRead<T>(work: () => T | Promise<T>): Promise<T>;
    /** The statement of this text on the reads' connection, prepared once (run it in `inRead`). */
    statement(text: string): Database.Statement;
  };
  /** Closes its connections, and lets another process open the database. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A second connection for reads (see `reads`). */
  concurrentReads?: boolean;
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
export async function openDatabase<Schema>(file: string, migrations: Record<string, Migration>, options: OpenOptions = {}): Promise<OpenedDatabase<Schema>> {
  try {
    return await openChecked<Schema>(file, migrations, options);
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

/**
 * Makes the data directory this process's: an exclusive lock on a file beside the database, held for the
 * connection's life and dropped by the system if the process dies, so a second server started on the same data
 * directory is refused at once (not two nodes with one identity). A file of its own, not the database: the database
 * takes other connections (reads that do not wait for writes).
 */
function holdServerLock(file: string): Database.Database {
  const lock = new Database(`${file}.lock`, { timeout: 100 });
  chmodSync(`${file}.lock`, 0o600);
  lock.pragma("locking_mode = EXCLUSIVE");
  try {
    lock.exec("BEGIN EXCLUSIVE; COMMIT"); // taken at this first write, and kept (locking_mode EXCLUSIVE)
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new Error(`the database ${file} is in use by another process: is another cube-server running with this --data-dir?`);
    }
    throw error;
  }
}

/** Prepares each statement once, by its text, on `connection`. */
function statementCache(connection: Database.Database): (text: string) => Database.Statement {
  const prepared = new Map<string, Database.Statement>();
  return (text) => {
    let statement = prepared.get(text);
    if (!statement) prepared.set(text, (statement = connection.prepare(text)));
    return statement;
  };
}

/** The writes' connection: WAL, commits fsynced. */
function openWritable(file: string): Database.Database {
  const sqlite = new Database(file, { timeout: 100 });
  try {
    // Its owner's only: it holds every pod's environment (SQLite gives its -wal and -shm files the database's mode).
    if (file !== IN_MEMORY) for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = FULL");
    return sqlite;
  } catch (error) {
    sqlite.close();
    throw error;
  }
}

async function openChecked<Schema>(file: string, migrations: Record<string, Migration>, options: OpenOptions): Promise<OpenedDatabase<Schema>> {
  const inMemory = file === IN_MEMORY;
  if (!inMemory) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const lock = inMemory ? undefined : holdServerLock(file);
  let sqlite: Database.Database;
  try {
    sqlite = openWritable(file);
  } catch (error) {
    lock?.close(); // the database cannot be opened: another server may try (a damaged file moved aside)
    throw error;
  }
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  let reader: Database.Database | undefined;
  const closeAll = async () => {
    await db.destroy();
    reader?.close();
    lock?.close();
  };
  const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
  if (error) {
    await closeAll();
    throw new Error(`cannot migrate the database ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const inBatch = <T>(work: () => T | Promise<T>): Promise<T> =>
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
    });
  const statement = statementCache(sqlite);
  // A database in memory is one connection's: its reads take turns with its writes.
  if (options.concurrentReads && !inMemory) reader = new Database(file, { readonly: true, timeout: 100 });
  return {
    db,
    inBatch,
    prepareAll: <Names extends string>(statements: Record<Names, string>) =>
      Object.fromEntries(Object.entries<string>(statements).map(([name, text]) => [name, statement(text)])) as Record<Names, Database.Statement>,
    statement,
    reads: reader ? concurrentReads(reader) : { inRead: inBatch, statement },
    close: closeAll,
  };
}

/**
 * Reads on a connection of their own, one after the other (a read may pause between its statements, and one
 * connection holds one transaction): each sees the last commit, and none waits for a write under way (WAL).
 */
function concurrentReads(reader: Database.Database): OpenedDatabase<unknown>["reads"] {
  let turn: Promise<unknown> = Promise.resolve();
  return {
    statement: statementCache(reader),
    inRead: <T>(work: () => T | Promise<T>): Promise<T> => {
      const run = turn.then(async () => {
        reader.exec("BEGIN");
        try {
          return await work();
        } finally {
          reader.exec("COMMIT");
        }
      });
      turn = run.catch(() => undefined);
      return run;
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

  close(): Promise<void> {
    return this.database.close();
  }
}
