import type { Migration } from "kysely";
import type Database from "better-sqlite3";
import { secondsSince } from "../../shared/clock.js";
import { openDatabase, type OpenedDatabase } from "../../shared/open-database.js";
import { pauseIfSliceUsed } from "../../shared/time-slices.js";

export type SqlValue = string | number | Buffer | null;

/**
 * Statements inside one transaction, in SQL both engines read (`?` for each parameter). Every store method that runs
 * "inside the caller's transaction" takes one of these.
 */
export interface Sql {
  all<Row>(text: string, ...params: SqlValue[]): Promise<Row[]>;
  get<Row>(text: string, ...params: SqlValue[]): Promise<Row | undefined>;
  /** How many rows it changed. */
  run(text: string, ...params: SqlValue[]): Promise<number>;
  /**
   * Lets other requests in when the time slice is used up: a transaction of thousands of rows calls it between rows,
   * so that a heartbeat or a `cube nodes` waits a slice, not the whole transaction (other queries wait for its end).
   */
  pause(): Promise<void> | undefined;
}

/**
 * The leader's database, whatever engine holds it: SQLite on the leader's disk, or PostgreSQL shared by several
 * leaders. Both give the stores the same guarantees: a write transaction is all or nothing, and write transactions
 * run one at a time (SQLite has one writer; PostgreSQL's take one row lock first), so that a read-then-write inside
 * one sees what every write before it did.
 */
export interface StoreDatabase {
  readonly engine: "SQLite" | "PostgreSQL";
  /** The SQL that reads a text column (or expression) holding JSON as JSON, for `->>`. */
  json(expression: string): string;
  write<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Reads from one consistent view. */
  read<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Moves whenever anything was written: watchers look again only when it did. */
  revision(): Promise<number>;
  close(): Promise<void>;
  /** Told how long each transaction took (the metrics), when set. */
  observeTransaction?: TransactionObserver;
}

export type TransactionObserver = (kind: "read" | "write", seconds: number) => void;

/** Runs a transaction, timed from its call as its caller waits for it (its turn behind other writes included). */
export function timedTransaction<T>(observe: TransactionObserver | undefined, kind: "read" | "write", run: () => Promise<T>): Promise<T> {
  if (!observe) return run();
  const started = process.hrtime.bigint();
  return run().finally(() => observe(kind, secondsSince(started)));
}

/** `?, ?, ?` for a list of `count` parameters (`in (…)`). */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

/** Statements of one connection as the stores call them. */
function sqlOn(statement: (text: string) => Database.Statement): Sql {
  return {
    all: async <Row>(text: string, ...params: SqlValue[]) => statement(text).all(...params) as Row[],
    get: async <Row>(text: string, ...params: SqlValue[]) => statement(text).get(...params) as Row | undefined,
    run: async (text: string, ...params: SqlValue[]) => statement(text).run(...params).changes,
    pause: pauseIfSliceUsed,
  };
}

/**
 * The leader's database in SQLite (the default): writes on one connection, every statement prepared once and kept by
 * its text (preparing costs more than running, for 10 000 pods), transactions on kysely's lock of that connection;
 * reads on a connection of their own, so that a list or `cube nodes` never waits for a write under way (a 3 000-pod
 * apply pauses between its rows, holding its transaction for most of a second).
 */
export class SqliteDatabase implements StoreDatabase {
  readonly engine = "SQLite";
  private readonly writes: Sql;
  private readonly reads: Sql;
  /** The connection's changes as of the last commit (see revision). */
  private committedChanges = 0;

  private constructor(private readonly opened: OpenedDatabase<unknown>) {
    this.writes = sqlOn(opened.statement);
    this.reads = sqlOn(opened.reads.statement);
  }

  static async open(file: string, migrations: Record<string, Migration>): Promise<SqliteDatabase> {
    return new SqliteDatabase(await openDatabase<unknown>(file, migrations, { concurrentReads: true }));
  }

  json(expression: string): string {
    return expression;
  }

  observeTransaction?: TransactionObserver;

  write<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return timedTransaction(this.observeTransaction, "write", async () => {
      let changes = 0;
      const result = await this.opened.inBatch(async () => {
        const done = await work(this.writes);
        changes = (await this.writes.get<{ changes: number }>("select total_changes() as changes"))!.changes;
        return done;
      });
      this.committedChanges = changes;
      return result;
    });
  }

  /** A read in a transaction: it sees the last commit before it began, and no write after. */
  read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return timedTransaction(this.observeTransaction, "read", () => this.opened.reads.inRead(() => work(this.reads)));
  }

  /** Every row the writes' connection changed since it opened, as of the last commit: reads never wait for it. */
  revision(): Promise<number> {
    return Promise.resolve(this.committedChanges);
  }

  close(): Promise<void> {
    return this.opened.close();
  }
}
