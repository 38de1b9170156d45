import { expect } from "chai";
import { FailureLimiter } from "../../src/shared/failure-limiter.js";
import { FakeClock } from "../helpers/fake-clock.js";

describe("FailureLimiter", () => {
  const limits = { maxFailures: 3, windowMs: 10_000, blockMs: 5_000 };
  let clock: FakeClock;
  let limiter: FailureLimiter;
  beforeEach(() => {
    clock = new FakeClock(0);
    limiter = new FailureLimiter(clock, limits);
  });

  it("no failure: nobody is blocked", () => {
    expect(limiter.blockedFor("10.0.0.1")).to.equal(0);
  });

  it("blocks a peer at its third failure within the window, says so once, and lets it try again after the block", () => {
    expect([limiter.fail("a"), limiter.fail("a"), limiter.fail("a")]).to.deep.equal([false, false, true]);
    expect(limiter.blockedFor("a")).to.equal(5_000);
    expect(limiter.blockedFor("b")).to.equal(0);
    // Failures while blocked do not extend the block nor report it again.
    expect(limiter.fail("a")).to.equal(false);
    clock.advance(5_000);
    expect(limiter.blockedFor("a")).to.equal(0);
  });

  it("forgets failures older than the window", () => {
    limiter.fail("a");
    limiter.fail("a");
    clock.advance(10_001);
    expect([limiter.fail("a"), limiter.fail("a")]).to.deep.equal([false, false]);
    expect(limiter.blockedFor("a")).to.equal(0);
  });
});
