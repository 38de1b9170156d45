import { expect } from "chai";
import { LeaderStore } from "../../src/leader/leader-store.js";
import { NodeKeys } from "../../src/leader/node-keys.js";
import { JoinRefused } from "../../src/leader/node-registry.js";
import { IN_MEMORY } from "../../src/shared/open-database.js";

describe("NodeKeys", () => {
  let store: LeaderStore;
  beforeEach(async () => (store = await LeaderStore.open(IN_MEMORY)));
  afterEach(() => store.close());

  it("binds a name to the first key, again to that key, never to another; the binding survives a restart", async () => {
    const keys = await NodeKeys.load(store);
    await keys.bind("n1", "key-a", new Date());
    await keys.bind("n1", "key-a", new Date());
    const refusal = await keys.bind("n1", "key-b", new Date()).catch((error: unknown) => error);
    expect(refusal).to.be.instanceOf(JoinRefused);
    const reloaded = await NodeKeys.load(store);
    expect([reloaded.isBound("n1", "key-a"), reloaded.isBound("n1", "key-b")]).to.deep.equal([true, false]);
  });

  it("two keys certifying one new name at once: one gets it, the other is refused", async () => {
    const keys = await NodeKeys.load(store);
    const outcomes = await Promise.allSettled([keys.bind("n2", "key-a", new Date()), keys.bind("n2", "key-b", new Date())]);
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(["fulfilled", "rejected"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).to.be.instanceOf(JoinRefused);
    expect((await store.nodes.nodeKeys()).get("n2")).to.equal("key-a");
  });
});
