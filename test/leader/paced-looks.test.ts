import { expect } from "chai";
import { LOOK_MS, MAX_LOOK_MS, lookPaced, nextLookDelay } from "../../src/leader/paced-looks.js";

describe("looks paced by their cost", () => {
  it("waits LOOK_MS after a cheap look, nine times a costly one, never more than MAX_LOOK_MS", () => {
    const table: [lookMs: number, delayMs: number][] = [
      [0, LOOK_MS],
      [5, LOOK_MS],
      [LOOK_MS / 9, LOOK_MS],
      [20, 180],
      [60, 540],
      [MAX_LOOK_MS / 9, MAX_LOOK_MS],
      [400, MAX_LOOK_MS],
    ];
    for (const [lookMs, delayMs] of table) expect(nextLookDelay(lookMs), `after a look of ${lookMs} ms`).to.be.closeTo(delayMs, 1e-9);
  });

  it("looks again after each look ends, goes on after a failed one, and stops once the look under way is done", async () => {
    const failures: string[] = [];
    let looks = 0;
    let finishLast: (() => void) | undefined;
    const paced = lookPaced(
      async () => {
        looks++;
        if (looks === 2) throw new Error("the store is away");
        if (looks === 3) await new Promise<void>((resolve) => (finishLast = resolve));
      },
      (error) => failures.push(error.message),
    );
    while (!finishLast) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(looks).to.equal(3);
    expect(failures).to.deep.equal(["the store is away"]);
    let stopped = false;
    const stopping = paced.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped, "waits for the look under way").to.equal(false);
    finishLast();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 3 * LOOK_MS));
    expect(looks, "none after the stop").to.equal(3);
  });
});
