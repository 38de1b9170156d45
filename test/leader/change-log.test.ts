import { expect } from "chai";
import { ChangeLog } from "../../src/leader/change-log.js";
import type { ResourceSummary } from "../../src/gen/cube.js";

const pod = (name: string, status = "Pending", labels: Record<string, string> = {}) =>
  ({ type: "pod", name, status, labels, readyContainers: 0, containers: 1, restarts: 0, ports: [] }) as unknown as ResourceSummary;
const described = (changes: { revision: number; kind: string; item: ResourceSummary }[] | undefined) =>
  changes?.map(({ revision, kind, item }) => `${revision} ${kind} ${item.name} ${item.status}`);

describe("ChangeLog", () => {
  it("records nothing when the list did not change, and tells no one", () => {
    const log = new ChangeLog();
    log.record([pod("a"), pod("b")]);
    let told = 0;
    log.onChange(() => told++);
    log.record([pod("b"), pod("a")]);
    expect([log.revision, told]).to.deep.equal([2, 0]);
  });

  it("numbers each change one more than the last: added, modified, deleted", () => {
    const log = new ChangeLog();
    log.record([pod("a"), pod("b")]);
    expect(described(log.since(0))).to.deep.equal(["1 ADDED a Pending", "2 ADDED b Pending"]);
    log.record([pod("a", "Running"), pod("c")]);
    expect(described(log.since(2))).to.deep.equal(["3 MODIFIED a Running", "4 ADDED c Pending", "5 DELETED b Pending"]);
    expect(described(log.since(4))).to.deep.equal(["5 DELETED b Pending"]);
    expect(described(log.since(5))).to.deep.equal([]);
    expect(log.snapshot()).to.deep.equal({ revision: 5, items: [pod("a", "Running"), pod("c")] });
  });

  it("tells its listeners once per record that changed something, until they stop listening", () => {
    const log = new ChangeLog();
    const told: number[] = [];
    const stop = log.onChange(() => told.push(log.revision));
    log.record([pod("a")]);
    log.record([pod("a", "Running"), pod("b")]);
    stop();
    log.record([]);
    expect(told).to.deep.equal([1, 3]);
  });

  it("keeps the last changes only: a revision older than those it holds gets undefined (list again)", () => {
    const log = new ChangeLog(3);
    log.record([pod("a"), pod("b")]);
    log.record([pod("a", "Running"), pod("b", "Running")]);
    expect(described(log.since(1))).to.deep.equal(["2 ADDED b Pending", "3 MODIFIED a Running", "4 MODIFIED b Running"]);
    expect(log.since(0)).to.equal(undefined);
    expect(described(log.since(2))).to.deep.equal(["3 MODIFIED a Running", "4 MODIFIED b Running"]);
  });
});
