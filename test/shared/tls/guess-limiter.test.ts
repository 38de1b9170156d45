import { expect } from "chai";
import { GuessLimiter } from "../../../src/shared/tls/guess-limiter.js";
import { FakeClock } from "../../helpers/fake-clock.js";

describe("GuessLimiter", () => {
  const limits = { maxGuesses: 3, windowMs: 10_000, blockMs: 5_000 };
  let clock: FakeClock;
  let limiter: GuessLimiter;
  beforeEach(() => {
    clock = new FakeClock(0);
    limiter = new GuessLimiter(clock, limits);
  });

  it("no failure: nobody is blocked", () => {
    expect(limiter.blockedFor("10.0.0.1")).to.equal(0);
  });

  it("blocks a peer at its third failure within the window, says so once, and lets it try again after the block", () => {
    expect([limiter.count("a"), limiter.count("a"), limiter.count("a")]).to.deep.equal([false, false, true]);
    expect(limiter.blockedFor("a")).to.equal(5_000);
    expect(limiter.blockedFor("b")).to.equal(0);
    // Failures while blocked do not extend the block nor report it again.
    expect(limiter.count("a")).to.equal(false);
    clock.advance(5_000);
    expect(limiter.blockedFor("a")).to.equal(0);
  });

  it("forgets failures older than the window", () => {
    limiter.count("a");
    limiter.count("a");
    clock.advance(10_001);
    expect([limiter.count("a"), limiter.count("a")]).to.deep.equal([false, false]);
    expect(limiter.blockedFor("a")).to.equal(0);
  });
});

describe("GuessLimiter's table", () => {
  it("stays bounded under a flood of addresses, forgetting the oldest, and keeps a blocked peer blocked", () => {
    const clock = new FakeClock(0);
    const limiter = new GuessLimiter(clock, { maxGuesses: 2, windowMs: 10_000, blockMs: 60_000, maxPeers: 100 });
    limiter.count("guesser");
    expect(limiter.count("guesser")).to.equal(true);
    for (let i = 0; i < 10_000; i++) limiter.count(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).to.equal(100);
    expect(limiter.blockedFor("guesser")).to.equal(60_000);
    expect(limiter.blockedFor("10.0.0.0"), "forgotten: the oldest").to.equal(0);
  });
});

describe("GuessLimiter's refunds", () => {
  it("takes back a guess that turned out right: only wrong ones add up", () => {
    const limiter = new GuessLimiter(new FakeClock(0), { maxGuesses: 3, windowMs: 60_000, blockMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      expect(limiter.count("nodes-behind-one-address")).to.equal(false);
      limiter.refund("nodes-behind-one-address");
    }
    expect([limiter.count("a"), limiter.count("a"), limiter.count("a")]).to.deep.equal([false, false, true]);
  });
});
