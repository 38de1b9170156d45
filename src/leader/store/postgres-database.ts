import { Kysely, Migrator, PostgresDialect, type Migration } from "kysely";
import pg from "pg";
import { pauseIfSliceUsed } from "../../shared/time-slices.js";
import { timedTransaction, type Sql, type SqlValue, type StoreDatabase, type TransactionObserver } from "./store-database.js";

/** PostgreSQL's type ids of `bigint` and `numeric` (a `sum`): read as numbers (times in ms and sums stay below 2^53). */
const NUMBERS = new Set([20, 1700]);
const types = {
  getTypeParser: ((id: number, format?: "text" | "binary") => (NUMBERS.has(id) ? Number : pg.types.getTypeParser(id, format))) as typeof pg.types.getTypeParser,
};

/** How long PostgreSQL lets a transaction of the store wait idle before it ends it (see `open`). */
export const IDLE_TRANSACTION_LIMIT_MS = 1_000;

/**
 * What every write transaction runs first, on its connection: the leader's fence (its term is still current: see
 * postgres-lease.ts), then the revision moved, which takes the one row lock that makes writers take turns.
 */
export type WriteFence = (client: pg.ClientBase) => Promise<void>;

/**
 * The leader's database in PostgreSQL, shared by several leaders (one active). Statements are prepared on each
 * connection by name; `?` becomes `$1`, `$2`…
 *
 * Write transactions take turns: each begins by moving the revision (`update store_revision`), a lock on one row held
 * until its commit. Under READ COMMITTED, every statement after it sees all that the writes before it committed: a
 * read-then-write (an apply's "is there one of this name?") behaves as on SQLite's single writer, and no two writers
 * can wait for each other (they all take that lock first). The revision is read by watchers: it moves with the data,
 * in the same commit.
 */
export class PostgresDatabase implements StoreDatabase {
  readonly engine = "PostgreSQL";
  private readonly texts = new Map<string, { name: string; text: string }>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly db: Kysely<unknown>,
    private fence: WriteFence | undefined,
  ) {}

  /** Connects (a pool of `connections`) and brings the schema up to date; several leaders may do so at once. */
  static async open(url: string, migrations: Record<string, Migration>, connections = 8): Promise<PostgresDatabase> {
    // Bounded waits: a database cut off fails each request within seconds instead of holding it (and its caller) forever.
    // And on the server's side: a transaction left idle (its leader paused, or cut off, between two statements) is ended
    // by PostgreSQL within a second, with its locks: the fence's share lock on the lease row would otherwise hold every
    // takeover back for as long as the stale leader holds its transaction open. No transaction of the store idles that
    // long (its statements follow each other; a pause between rows is a few milliseconds).
    const pool = new pg.Pool({
      connectionString: url,
      max: connections,
      types,
      connectionTimeoutMillis: 5_000,
      query_timeout: 10_000,
      statement_timeout: 10_000,
      idle_in_transaction_session_timeout: IDLE_TRANSACTION_LIMIT_MS,
      keepAlive: true,
    });
    // A connection that fails while idle (the server restarted) is dropped by the pool; the next query says why.
    pool.on("error", () => undefined);
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateToLatest();
    if (error) {
      await db.destroy();
      throw new Error(`cannot migrate the database at ${redacted(url)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return new PostgresDatabase(pool, db, undefined);
  }

  /** From now on, every write transaction passes `fence` first (the active leader's term). */
  fenceWrites(fence: WriteFence | undefined): void {
    this.fence = fence;
  }

  json(expression: string): string {
    return `(${expression})::json`;
  }

  observeTransaction?: TransactionObserver;

  write<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return timedTransaction(this.observeTransaction, "write", () =>
      this.transaction("begin", async (client, sql) => {
        await this.fence?.(client);
        await client.query("update store_revision set revision = revision + 1");
        return work(sql);
      }),
    );
  }

  read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return timedTransaction(this.observeTransaction, "read", () =>
      this.transaction("begin isolation level repeatable read read only", (_client, sql) => work(sql)),
    );
  }

  async revision(): Promise<number> {
    const { rows } = await this.pool.query<{ revision: number }>("select revision from store_revision");
    return rows[0].revision;
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  private async transaction<T>(begin: string, work: (client: pg.PoolClient, sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const query = async <Row>(text: string, params: SqlValue[]) => {
      const { name, text: numbered } = this.numbered(text);
      return client.query<Row & pg.QueryResultRow>({ name, text: numbered, values: params });
    };
    const sql: Sql = {
      all: async <Row>(text: string, ...params: SqlValue[]) => (await query<Row>(text, params)).rows,
      get: async <Row>(text: string, ...params: SqlValue[]) => (await query<Row>(text, params)).rows[0],
      run: async (text: string, ...params: SqlValue[]) => (await query(text, params)).rowCount ?? 0,
      pause: pauseIfSliceUsed,
    };
    let broken: Error | undefined;
    // A connection the server ends during the transaction (an idle one ended, a restart) says so here, not as an
    // uncaught error: the next statement fails, and the connection is closed rather than reused.
    const lost = (error: Error) => (broken = error);
    client.on("error", lost);
    try {
      await client.query(begin);
      const result = await work(client, sql);
      await client.query("commit");
      return result;
    } catch (error) {
      await client.query("rollback").catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.off("error", lost);
      // A connection that was lost or could not roll back is closed, not handed to the next transaction.
      client.release(broken);
    }
  }

  /** The statement in PostgreSQL's numbering, and a name to prepare it under (once per connection). */
  private numbered(text: string): { name: string; text: string } {
    let known = this.texts.get(text);
    if (!known) {
      let index = 0;
      known = { name: `s${this.texts.size}`, text: text.replace(/\?/g, () => `$${++index}`) };
      this.texts.set(text, known);
    }
    return known;
  }
}

/** A database URL without its password, to be shown. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unreadable URL)";
  }
}
