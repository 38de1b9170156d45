import { expect } from "chai";
import { pauseIfSliceUsed, runAtOnce, runInSlices, SLICE_MS } from "../../src/shared/time-slices.js";

/** Holds the CPU for `ms`, as a step of real work does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * Counts turns of the event loop: a callback that runs once per turn (in the phase where paused work resumes, queued
 * before it) and numbers them.
 */
function turnCounter(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let running = true;
  const tick = () => {
    turn++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turn() {
      return turn;
    },
    stop: () => void (running = false),
  };
}

/** `steps` steps of 1 ms each, noting the turn each ran in. */
function* steps(count: number, turns: { turn: number }, seen: number[]): Generator<void, number, undefined> {
  for (let i = 0; i < count; i++) {
    yield;
    busy(1);
    seen.push(turns.turn);
  }
  return count;
}

const mostStepsInOneTurn = (seen: number[]) => Math.max(...[...new Set(seen)].map((turn) => seen.filter((t) => t === turn).length));

describe("time slices", () => {
  it("runs work to its end with its result, at once or in slices", async () => {
    const counter = turnCounter();
    expect(runAtOnce(steps(3, counter, []))).to.equal(3);
    expect(await runInSlices(steps(3, counter, []))).to.equal(3);
    counter.stop();
  });

  it("gives the event loop back while long work runs, never holding it much past one slice", async () => {
    const counter = turnCounter();
    const seen: number[] = [];
    await runInSlices(steps(60, counter, seen));
    counter.stop();
    expect(new Set(seen).size, "turns the work spanned").to.be.at.least(60 / (SLICE_MS + 1));
    // A step that starts within the slice may end just past it.
    expect(mostStepsInOneTurn(seen)).to.be.at.most(SLICE_MS + 1);
  });

  it("lets work that runs at once hold the loop (the CLI has nothing else to serve)", () => {
    const counter = turnCounter();
    const seen: number[] = [];
    runAtOnce(steps(30, counter, seen));
    counter.stop();
    expect(new Set(seen).size).to.equal(1);
  });

  it("shares one slice per turn among all paused work: twenty streams do not get ten milliseconds each", async () => {
    const counter = turnCounter();
    const seen: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 15; i++) {
        await pauseIfSliceUsed();
        busy(1);
        seen.push(counter.turn);
      }
    };
    await Promise.all([runInSlices(steps(15, counter, seen)), ...Array.from({ length: 5 }, loop)]);
    counter.stop();
    expect(seen).to.have.length(90);
    // Each of the six may take one step when the turn starts before it sees the slice used up.
    expect(mostStepsInOneTurn(seen)).to.be.at.most(SLICE_MS + 6);
  });
});
