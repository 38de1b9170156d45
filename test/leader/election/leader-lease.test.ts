import { expect } from "chai";
import { LeaseKeeper } from "../../../src/leader/election/lease-keeper.js";
import { mayAct, nextClaimDelay, roleAfterClaim, type ClaimResult, type LeaseBackend, type LeaseRole } from "../../../src/leader/election/leader-lease.js";
import { FakeClock } from "../../helpers/fake-clock.js";

const TIMING = { ttlMs: 3000, marginMs: 500 };
const active = (epoch: number, actUntil: number): LeaseRole => ({ active: true, epoch, actUntil });

const cases: { name: string; before: LeaseRole; outcome: ClaimResult | "failed"; at: number; expected: LeaseRole }[] = [
  {
    name: "standing by, the lease free: a term, to act until its end less the margin",
    before: { active: false },
    outcome: { held: true, epoch: 1 },
    at: 1000,
    expected: active(1, 3500),
  },
  {
    name: "active, renewed: the same term, counted from the claim's start",
    before: active(4, 3500),
    outcome: { held: true, epoch: 4 },
    at: 2000,
    expected: active(4, 4500),
  },
  {
    name: "active, the lease taken by another: standing by, saying who",
    before: active(4, 3500),
    outcome: { held: false, holder: "b/2", epoch: 5, expiresInMs: 1500 },
    at: 2000,
    expected: { active: false, holder: "b/2", epoch: 5 },
  },
  { name: "active, the database unreachable within the term: still active", before: active(4, 3500), outcome: "failed", at: 2000, expected: active(4, 3500) },
  {
    name: "active, the database unreachable past the term: standing by, keeping its epoch",
    before: active(4, 3500),
    outcome: "failed",
    at: 3500,
    expected: { active: false, epoch: 4 },
  },
  {
    name: "standing by, the database unreachable: standing by",
    before: { active: false, holder: "b/2", epoch: 5 },
    outcome: "failed",
    at: 0,
    expected: { active: false, holder: "b/2", epoch: 5 },
  },
];

describe("the leader lease", () => {
  for (const c of cases) it(c.name, () => expect(roleAfterClaim(c.before, c.outcome, c.at, TIMING)).to.deep.equal(c.expected));

  it("claims again a third of a term later, or as the holder's term ends when that is sooner", () => {
    const standby = (expiresInMs: number): ClaimResult => ({ held: false, holder: "b/2", epoch: 5, expiresInMs });
    const delays = [{ held: true, epoch: 1 } as const, "failed" as const, standby(1900), standby(300), standby(0), standby(-40)].map((outcome) =>
      nextClaimDelay(outcome, TIMING),
    );
    expect(delays).to.deep.equal([1000, 1000, 1000, 301, 1, 1]);
  });

  it("acts only within its term, by its own clock", () => {
    expect([mayAct(active(1, 3500), 3499), mayAct(active(1, 3500), 3500), mayAct({ active: false }, 0)]).to.deep.equal([true, false, false]);
  });
});

/** A lease in memory with the database's rules, its time the test's clock; `down` makes every claim fail. */
class MemoryLease implements LeaseBackend {
  row?: { holder: string; epoch: number; expiresAt: number };
  down = false;
  constructor(private readonly clock: FakeClock) {}
  async claim(holder: string, epoch: number | undefined, ttlMs: number): Promise<ClaimResult> {
    if (this.down) throw new Error("unreachable");
    const now = this.clock.now();
    const renewal = this.row?.holder === holder && this.row.epoch === epoch;
    if (!this.row || renewal || this.row.expiresAt <= now) {
      this.row = { holder, epoch: renewal ? this.row!.epoch : (this.row?.epoch ?? 0) + 1, expiresAt: now + ttlMs };
      return { held: true, epoch: this.row.epoch };
    }
    return { held: false, holder: this.row.holder, epoch: this.row.epoch, expiresInMs: this.row.expiresAt - now };
  }
}

describe("LeaseKeeper", () => {
  it("one active at a time; a keeper cut off stops acting before its term can be taken, and the other takes the next term", async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease(clock);
    const changes: string[] = [];
    const keeper = (name: string) =>
      new LeaseKeeper(lease, name, TIMING, clock, (role) => changes.push(`${name} ${role.active ? `active ${role.epoch}` : "stands by"}`));
    const [a, b] = [keeper("a/1"), keeper("b/1")];
    await a.claim();
    await b.claim();
    expect([a.mayAct(), b.mayAct()]).to.deep.equal([true, false]);
    clock.advance(1000);
    await a.claim(); // renewed until 4000 in the database, acting until 3500
    await b.claim();
    expect(lease.row).to.deep.equal({ holder: "a/1", epoch: 1, expiresAt: 4000 });

    // a loses the database (partitioned, or paused): it acts until 3500 by its own clock, then no more.
    lease.down = true;
    clock.advance(2400); // 3400
    await a.claim();
    expect(a.mayAct()).to.equal(true);
    clock.advance(100); // 3500
    expect(a.mayAct()).to.equal(false);
    await a.claim();
    lease.down = false;
    // b cannot take the lease before the database's term ends (4000), nor a keep acting meanwhile.
    await b.claim();
    expect(b.mayAct()).to.equal(false);
    clock.advance(500); // 4000
    await b.claim();
    expect([a.mayAct(), b.mayAct(), b.current.epoch]).to.deep.equal([false, true, 2]);
    // a back: its old term is gone, it stands by.
    await a.claim();
    expect([a.mayAct(), a.current]).to.deep.equal([false, { active: false, holder: "b/1", epoch: 2 }]);
    expect(changes).to.deep.equal(["a/1 active 1", "b/1 stands by", "a/1 stands by", "b/1 active 2", "a/1 stands by"]);
  });

  it("renews its own term after the database was away if no one took it (same epoch: no write of another in between)", async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease(clock);
    const a = new LeaseKeeper(lease, "a/1", TIMING, clock, () => {});
    await a.claim();
    lease.down = true;
    clock.advance(3500);
    await a.claim();
    expect(a.mayAct()).to.equal(false);
    lease.down = false;
    await a.claim();
    expect([a.mayAct(), a.current.epoch]).to.deep.equal([true, 1]);
  });
});
