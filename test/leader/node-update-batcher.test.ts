import { expect } from "chai";
import type { NodeUpdate } from "../../src/leader/leader-store.js";
import { NodeUpdateBatcher } from "../../src/leader/node-update-batcher.js";

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
    const started: number[] = [];
    const batcher = new NodeUpdateBatcher(async (updates) => {
      started.push(performance.now());
      // More arrives while this commit runs.
      if (updates.length === 1) void batcher.submit(status("b"));
      await new Promise((resolve) => setImmediate(resolve));
    }, 30);
    await batcher.submit(status("a"));
    await batcher.submit(status("c"));
    expect(started).to.have.length(2);
    // Timers may fire up to a millisecond early.
    expect(started[1] - started[0]).to.be.at.least(29);
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
