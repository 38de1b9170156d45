import { expect } from "chai";
import { LeaderStore } from "../../../src/leader/store/leader-store.js";
import { NodeKeys } from "../../../src/leader/identity/node-keys.js";
import { isRefusal } from "../../../src/leader/refusals.js";
import { IN_MEMORY } from "../../../src/shared/open-database.js";

describe("NodeKeys", () => {
  let store: LeaderStore;
  beforeEach(async () => (store = await LeaderStore.open(IN_MEMORY)));
  afterEach(() => store.close());

  it("binds a name to the first key, again to that key, never to another; the binding survives a restart", async () => {
    const keys = await NodeKeys.load(store);
    await keys.bind("n1", "key-a", new Date());
    await keys.bind("n1", "key-a", new Date());
    const refusal = await keys.bind("n1", "key-b", new Date()).catch((error: unknown) => error);
    expect(isRefusal(refusal, "AlreadyExists"), String(refusal)).to.equal(true);
    const reloaded = await NodeKeys.load(store);
    expect([reloaded.isBound("n1", "key-a"), reloaded.isBound("n1", "key-b")]).to.deep.equal([true, false]);
  });

  it("revokes a removed node's key for good: refused under any name, across a restart; the name is free for a new key", async () => {
    const keys = await NodeKeys.load(store);
    await keys.bind("n3", "stolen-key", new Date());
    await store.nodes.removeNode("n3", new Date());
    keys.revoke("n3");
    for (const loaded of [keys, await NodeKeys.load(store)]) {
      for (const name of ["n3", "n4"]) {
        const refusal = await loaded.bind(name, "stolen-key", new Date()).catch((error: Error) => error.message);
        expect(refusal, name).to.equal("this key was node n3's, which an admin removed (cube node rm): a removed node joins again only with a new key");
      }
    }
    await keys.bind("n3", "new-key", new Date());
    expect(keys.isBound("n3", "new-key")).to.equal(true);
  });

  it("with approval required, binds a new name unapproved until an admin approves it; the leader's own name needs none", async () => {
    const keys = await NodeKeys.load(store, { requireApproval: true, leaderName: "boss" });
    await keys.bind("n5", "key-5", new Date(1000));
    await keys.bind("boss", "key-boss", new Date(1000));
    expect([keys.isBound("n5", "key-5"), keys.isApproved("n5"), keys.isApproved("boss")]).to.deep.equal([true, false, true]);
    expect(keys.pending()).to.deep.equal([{ name: "n5", since: new Date(1000) }]);
    expect(await keys.approve("n5", new Date(2000))).to.equal(true);
    expect(await keys.approve("n5", new Date(3000))).to.equal(false);
    expect(await keys.approve("nobody", new Date(3000))).to.equal(false);
    expect((await NodeKeys.load(store, { requireApproval: true })).isApproved("n5")).to.equal(true);
  });

  it("two keys certifying one new name at once: one gets it, the other is refused", async () => {
    const keys = await NodeKeys.load(store);
    const outcomes = await Promise.allSettled([keys.bind("n2", "key-a", new Date()), keys.bind("n2", "key-b", new Date())]);
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(["fulfilled", "rejected"]);
    expect(isRefusal((outcomes[1] as PromiseRejectedResult).reason, "AlreadyExists")).to.equal(true);
    expect((await store.nodes.nodeKeys()).bindings.get("n2")?.keyDigest).to.equal("key-a");
  });
});
