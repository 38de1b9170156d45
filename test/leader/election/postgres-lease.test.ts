import { expect } from "chai";
import pg from "pg";
import { fence, FencedOut, PostgresLease } from "../../../src/leader/election/postgres-lease.js";
import { IDLE_TRANSACTION_LIMIT_MS, PostgresDatabase } from "../../../src/leader/store/postgres-database.js";
import { postgresMigrations } from "../../../src/leader/store/postgres-migrations.js";
import { TestPostgres } from "../../helpers/postgres.js";

/** The lease and its fence on a real PostgreSQL: what keeps two leaders of one database from both writing. */
describe("the leader lease on PostgreSQL", function () {
  this.timeout(30_000);
  let server: TestPostgres;
  let pools: pg.Pool[];
  let lease: PostgresLease;
  let other: PostgresLease;

  before(async () => {
    server = await TestPostgres.start();
  });
  beforeEach(async () => {
    // Two leaders, each with its own connections, as on two machines.
    pools = [new pg.Pool({ connectionString: server.url }), new pg.Pool({ connectionString: server.url })];
    await pools[0].query(
      "drop table if exists leader_lease; drop table if exists leader_term; drop table if exists writes; create table writes (leader text, at timestamptz default clock_timestamp())",
    );
    lease = new PostgresLease(pools[0]);
    other = new PostgresLease(pools[1]);
    await lease.prepare();
  });
  afterEach(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });
  after(async () => {
    await server?.stop();
  });

  it("gives the lease to one claimant at a time, renews the holder's own term, and begins a new term only once it expired", async () => {
    const claims = await Promise.all([lease.claim("a/1", undefined, 60_000), other.claim("b/1", undefined, 60_000)]);
    const winner = claims.find((claim) => claim.held);
    expect(claims.filter((claim) => claim.held)).to.have.length(1);
    expect(winner).to.deep.equal({ held: true, epoch: 1 });
    const [first, second] = claims[0].held ? ["a/1", "b/1"] : ["b/1", "a/1"];
    expect(await lease.claim(first, 1, 300)).to.deep.equal({ held: true, epoch: 1 });
    const refused = await other.claim(second, undefined, 300);
    expect(refused).to.deep.include({ held: false, holder: first, epoch: 1 });
    // When the holder's term ends, by the database's clock: within the 300 ms just renewed.
    expect(refused.held ? -1 : refused.expiresInMs)
      .to.be.above(0)
      .and.at.most(300);
    // Not renewed: expired by the database's clock, taken with the next epoch; the old holder's renewal then fails.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await other.claim(second, undefined, 60_000)).to.deep.equal({ held: true, epoch: 2 });
    expect(await lease.claim(first, 1, 60_000)).to.deep.include({ held: false, holder: second, epoch: 2 });
  });

  it("fences a stale leader's writes, and makes a takeover wait for the writes that passed the fence", async () => {
    expect(await lease.claim("a/1", undefined, 500)).to.deep.equal({ held: true, epoch: 1 });
    // a passes the fence, then stalls (paused, slow) past its term with its transaction open.
    const writer = await pools[0].connect();
    await writer.query("begin");
    await fence(writer, "a/1", 1);
    await new Promise((resolve) => setTimeout(resolve, 700));
    let takenAt = 0;
    const takeover = other.claim("b/1", undefined, 60_000).then((result) => {
      takenAt = Date.now();
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The takeover waits for a's transaction: b's term cannot begin between a's check and a's commit.
    expect(takenAt).to.equal(0);
    await writer.query("insert into writes (leader) values ('a')");
    const committedAt = Date.now();
    await writer.query("commit");
    writer.release();
    expect(await takeover).to.deep.equal({ held: true, epoch: 2 });
    expect(takenAt).to.be.at.least(committedAt);

    // a, back with its old term, writes nothing: refused at the fence, its transaction rolled back.
    const stale = await pools[0].connect();
    await stale.query("begin");
    const refused = await fence(stale, "a/1", 1).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(refused).to.be.instanceOf(FencedOut);
    await stale.query("rollback");
    stale.release();
    const b = await pools[1].connect();
    await b.query("begin");
    await fence(b, "b/1", 2);
    await b.query("insert into writes (leader) values ('b')");
    await b.query("commit");
    b.release();
    expect((await pools[0].query("select leader from writes order by at")).rows.map((row) => row.leader)).to.deep.equal(["a", "b"]);
  });

  it("renews the holder's term while its own fenced write is under way, however long", async () => {
    expect(await lease.claim("a/1", undefined, 60_000)).to.deep.equal({ held: true, epoch: 1 });
    // A long write (a 10 000-pod apply) holds the fence's share lock; the renewals must not wait for it.
    const writer = await pools[0].connect();
    await writer.query("begin");
    await fence(writer, "a/1", 1);
    const renewer = new pg.Pool({ connectionString: server.url, max: 1, query_timeout: 1000 });
    try {
      await renewer.query("set lock_timeout = 500");
      for (let i = 0; i < 3; i++) expect(await new PostgresLease(renewer).claim("a/1", 1, 60_000)).to.deep.equal({ held: true, epoch: 1 });
    } finally {
      await renewer.end();
      await writer.query("commit");
      writer.release();
    }
  });

  it("lets a takeover through within a second when the stale leader paused inside a fenced transaction (PostgreSQL ends it)", async () => {
    const store = await PostgresDatabase.open(server.url, postgresMigrations);
    try {
      expect(await lease.claim("a/1", undefined, 300)).to.deep.equal({ held: true, epoch: 1 });
      store.fenceWrites((client) => fence(client, "a/1", 1));
      // A's write passes the fence, then A stops between two statements (SIGSTOP, a cut-off network) for good.
      let resume!: () => void;
      const paused = new Promise<void>((resolve) => (resume = resolve));
      const writing = store.write(async (sql) => {
        await sql.run("insert into writes (leader) values ('a')");
        await paused;
        await sql.run("insert into writes (leader) values ('a, later')");
      });
      const outcome = writing.then(
        () => "committed",
        (error: Error) => `failed: ${error.message}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 400)); // A's term is over
      const began = Date.now();
      expect(await other.claim("b/1", undefined, 60_000)).to.deep.equal({ held: true, epoch: 2 });
      const waited = Date.now() - began;
      resume();
      expect(await outcome).to.match(/^failed: /);
      // The takeover waited for PostgreSQL to end A's idle transaction (1 s), not for A; nothing of A's was kept.
      expect(waited).to.be.within(IDLE_TRANSACTION_LIMIT_MS - 500, IDLE_TRANSACTION_LIMIT_MS + 2_000);
      expect((await pools[0].query("select leader from writes")).rows).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });
});
