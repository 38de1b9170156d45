import type pg from "pg";
import type { ClaimResult, LeaseBackend } from "./leader-lease.js";

/**
 * The lease in PostgreSQL: one row, its term's end in the database's own clock (`clock_timestamp()`), so that the
 * leaders' clocks need not agree; and, in a row of its own, the current term's epoch (`leader_term`).
 *
 * How a stale leader is kept from writing: every write transaction of the active leader first takes a share lock on
 * the term row, and checks that its term is current and unexpired (`fence`). A claim that takes the lease over must
 * update the term row, so it waits until every write transaction that passed the fence has committed or rolled back:
 * a new term begins after the last write of the old one, never between its check and its commit. A renewal updates
 * the lease row alone, so the holder renews while its own writes run, however long (a 10 000-pod apply). A leader
 * paused (SIGSTOP) or cut off past its term finds, at its next write, either its term current (no one took it: it goes
 * on) or the fence shut (it writes nothing and stands by). A stale leader paused in the middle of a transaction would
 * hold the takeover back: PostgreSQL ends a transaction left idle (idle_in_transaction_session_timeout, see
 * postgres-database.ts), and with it the share lock, within a second.
 */
export class PostgresLease implements LeaseBackend {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates the lease's tables if they are not there. */
  async prepare(): Promise<void> {
    await this.pool.query(
      "create table if not exists leader_lease (id integer primary key check (id = 1), holder text not null, epoch bigint not null, expires_at timestamptz not null)",
    );
    await this.pool.query("create table if not exists leader_term (id integer primary key check (id = 1), epoch bigint not null)");
    await this.pool.query("insert into leader_term (id, epoch) values (1, 0) on conflict (id) do nothing");
  }

  async claim(holder: string, epoch: number | undefined, ttlMs: number): Promise<ClaimResult> {
    // A renewal keeps the term ($3 is the holder's own epoch); a takeover of an expired lease begins the next one, and
    // moves the term row to it, which waits for the writes that passed the old term's fence.
    const claimed = await this.pool.query<{ epoch: string }>(
      `with claimed as (
         insert into leader_lease (id, holder, epoch, expires_at) values (1, $1, 1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
         on conflict (id) do update set
           holder = excluded.holder,
           epoch = case when leader_lease.holder = excluded.holder and leader_lease.epoch = $3 then leader_lease.epoch else leader_lease.epoch + 1 end,
           expires_at = excluded.expires_at
         where (leader_lease.holder = excluded.holder and leader_lease.epoch = $3) or leader_lease.expires_at <= clock_timestamp()
         returning epoch
       ), term as (
         update leader_term set epoch = claimed.epoch from claimed where leader_term.id = 1 and leader_term.epoch <> claimed.epoch
       )
       select epoch from claimed`,
      [holder, ttlMs, epoch ?? null],
    );
    if (claimed.rows.length === 1) return { held: true, epoch: Number(claimed.rows[0].epoch) };
    const { rows } = await this.pool.query<{ holder: string; epoch: string; expires_in_ms: number }>(
      "select holder, epoch, extract(epoch from expires_at - clock_timestamp()) * 1000 as expires_in_ms from leader_lease where id = 1",
    );
    return { held: false, holder: rows[0].holder, epoch: Number(rows[0].epoch), expiresInMs: Number(rows[0].expires_in_ms) };
  }
}

/** Ends `holder`'s term `epoch` now (a leader stopping): a standby takes over at its next claim, not a term later. */
export async function releaseLease(pool: pg.Pool, holder: string, epoch: number): Promise<void> {
  await pool.query("update leader_lease set expires_at = clock_timestamp() where id = 1 and holder = $1 and epoch = $2", [holder, epoch]);
}

/** A write refused because the leader's term is over (another leader may have begun its own). */
export class FencedOut extends Error {}

/**
 * The fence every write transaction of the active leader passes first (inside it, on its connection): its term
 * `epoch` is the current one (the term row, locked for share: no takeover can begin until the transaction ends) and
 * unexpired. Throws FencedOut.
 */
export async function fence(client: pg.ClientBase, holder: string, epoch: number): Promise<void> {
  const { rows } = await client.query(
    `select 1 from leader_term, leader_lease
     where leader_term.id = 1 and leader_term.epoch = $2 and leader_lease.id = 1 and leader_lease.holder = $1 and leader_lease.epoch = $2
       and leader_lease.expires_at > clock_timestamp()
     for share of leader_term`,
    [holder, epoch],
  );
  if (rows.length === 0) throw new FencedOut(`the leader's term ${epoch} is over: another leader may be active`);
}
