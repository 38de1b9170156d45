import { expect } from "chai";
import { systemClock } from "../../../src/shared/clock.js";
import { startRenewalLoop } from "../../../src/shared/tls/renewal-loop.js";
import { FakeClock } from "../../helpers/fake-clock.js";

describe("startRenewalLoop", () => {
  const day = 86_400_000;
  /** Lets the loop run until it waits on the clock again. */
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it("a certificate of one year: no renewal before half its life, one at its renewal time, none in a loop", async () => {
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    let validity = { from: new Date(clock.now()), to: new Date(clock.now() + 365 * day) };
    const renewals: number[] = [];
    const loop = startRenewalLoop({
      clock,
      validity: () => validity,
      renew: async () => {
        renewals.push(clock.now());
        validity = { from: new Date(clock.now()), to: new Date(clock.now() + 365 * day) };
      },
      failed: () => expect.fail("no failure"),
      random: () => 0.5, // 65 % of its life
    });
    await settle();
    clock.advance(182 * day);
    await settle();
    expect(renewals, "after half a year").to.deep.equal([]);
    clock.advance(55 * day); // 237 days: 65 % of 365 is 237.25
    await settle();
    expect(renewals).to.deep.equal([]);
    clock.advance(day);
    await settle();
    expect(renewals.map((at) => (at - Date.UTC(2030, 0, 1)) / day)).to.deep.equal([238]);
    expect(clock.sleeps.at(-1), "the next one is another 65 % away").to.equal(237.25 * day);
    loop.stop();
    await loop.stopped;
  });

  it("backs off after a failed renewal (1 s, 2 s, 4 s…), but tries again within a tenth of the time left, and stops", async () => {
    const clock = new FakeClock(0);
    const failures: number[] = [];
    const loop = startRenewalLoop({
      clock,
      validity: () => ({ from: new Date(0), to: new Date(120_000) }),
      renew: async () => Promise.reject(new Error("the leader is away")),
      failed: (_error, retryInMs) => failures.push(retryInMs),
      random: () => 1,
    });
    await settle();
    for (let i = 0; i < 4; i++) {
      clock.advance(clock.sleeps.at(-1)!);
      await settle();
    }
    // Renewal at 80 % (96 s): then 1 s, 2 s, and the time left's tenth (2.1 s, then 1.89 s) once that is shorter.
    expect(failures).to.deep.equal([1000, 2000, 2100, 1890]);
    expect(clock.sleeps).to.deep.equal([96_000, 1000, 2000, 2100, 1890]);
    loop.stop();
    await loop.stopped;
  });
});

describe("systemClock", () => {
  it("sleeps longer than a timer takes (about 24.8 days) without waking at once", async () => {
    const abort = new AbortController();
    let woke = false;
    const sleeping = systemClock.sleep(40 * 86_400_000, abort.signal).then(
      () => (woke = true),
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(woke).to.equal(false);
    abort.abort();
    await sleeping;
  });
});
