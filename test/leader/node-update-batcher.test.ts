import { expect } from "chai";
import type { NodeUpdate } from "../../src/leader/store/leader-store.js";
import { NodeUpdateBatcher } from "../../src/leader/node-update-batcher.js";
import { FakeClock } from "../helpers/fake-clock.js";

const status = (podUid: string): NodeUpdate => ({ kind: "status", node: "n", podUid, specHash: "h", status: { phase: "Running", containers: [] } });

describe("NodeUpdateBatcher", () => {
  it("commits what arrives together in one batch, in order, and resolves each submission after its commit", async () => {
    const commits: string[][] = [];
    const batcher = new NodeUpdateBatcher(async (updates) => {
      commits.push(updates.map((u) => (u.kind === "status" ? u.podUid : u.kind)));
    });
    const done = await Promise.all(
      [batcher.submit(status("a")), batcher.submit(status("b")), batcher.submit(status("c"))].map((p) => p.then(() => commits.length)),
    );
    expect(commits).to.deep.equal([["a", "b", "c"]]);
    expect(done).to.deep.equal([1, 1, 1]);
    await batcher.submit(status("d"));
    expect(commits).to.deep.equal([["a", "b", "c"], ["d"]]);
  });

  it("while updates keep coming, starts the next commit no sooner than the spacing after the last began", async () => {
    // Time moves only as the commits say (5 ms each) and as the batcher sleeps: no timer, no tolerance.
    const clock = new FakeClock(0, true);
    const started: number[] = [];
    const batcher = new NodeUpdateBatcher(
      async (updates) => {
        started.push(clock.now());
        // More arrives while this commit runs, which takes 5 ms.
        if (updates.length === 1 && updates[0] === a) second = batcher.submit(status("b"));
        clock.advance(5);
        await new Promise((resolve) => setImmediate(resolve));
      },
      30,
      clock,
    );
    const a = status("a");
    let second: Promise<void> | undefined;
    await batcher.submit(a);
    await second;
    expect(started).to.have.length(2);
    expect(clock.sleeps, "the next commit waits out the spacing: 30 ms after the last began, 5 ms of which it ran").to.deep.equal([25]);
    expect(started[1] - started[0]).to.equal(30);
  });

  it("rejects the submissions of a batch that failed to commit", async () => {
    const batcher = new NodeUpdateBatcher(async () => {
      throw new Error("disk full");
    });
    let failure: unknown;
    await batcher.submit(status("a")).catch((error) => (failure = error));
    expect((failure as Error).message).to.equal("disk full");
  });
});
