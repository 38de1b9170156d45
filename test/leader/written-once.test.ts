import { expect } from "chai";
import { LeaderMessage } from "../../src/gen/agent.js";
import { clusterServiceEncodedOnce, madeOnce } from "../../src/leader/written-once.js";

describe("what the leader writes to every node alike", () => {
  const names = (name: string): LeaderMessage => ({ podNames: { complete: false, records: [{ name, addresses: ["10.42.0.2"] }] } });

  it("encodes a message once however many streams it is written to, and another message anew", () => {
    const serialize = clusterServiceEncodedOnce.sync.responseSerialize;
    const change = names("web");
    const first = serialize(change);
    expect(first).to.deep.equal(Buffer.from(LeaderMessage.encode(change).finish()));
    for (let node = 0; node < 20; node++) expect(serialize(change), "the same encoding").to.equal(first);
    const other = serialize(names("db"));
    expect(other).to.not.equal(first);
    expect(LeaderMessage.decode(other).podNames?.records[0].name).to.equal("db");
  });

  it("makes the messages of one update once for every node it goes to", () => {
    const made = new WeakMap<object, string[]>();
    const update = { version: 1 };
    let makes = 0;
    const make = () => (makes++, ["part 1", "part 2"]);
    const messages = Array.from({ length: 20 }, () => madeOnce(made, update, make));
    expect(makes).to.equal(1);
    expect(new Set(messages).size).to.equal(1);
    madeOnce(made, { version: 2 }, make);
    expect(makes).to.equal(2);
  });
});
