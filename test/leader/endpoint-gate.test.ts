import { expect } from "chai";
import { EndpointGate } from "../../src/leader/endpoint-gate.js";
import { FakeClock } from "../helpers/fake-clock.js";

describe("EndpointGate", () => {
  let clock: FakeClock;
  let connected: string[];
  let released: string[];
  let gate: EndpointGate;
  const serving = (...pods: string[]) => new Set(pods);
  /** Every pod runs on n1; `stopping` says which are being deleted. */
  const on = (stopping: (pod: string) => boolean) => (pod: string) => (stopping(pod) ? "n1" : undefined);

  beforeEach(() => {
    clock = new FakeClock(0);
    connected = ["n1", "n2"];
    released = [];
    gate = new EndpointGate(
      clock,
      () => connected,
      (node) => released.push(node),
      3000,
    );
    gate.published(
      1,
      serving("web-a", "web-b"),
      on(() => false),
    );
  });

  it("holds a pod that services balance over, even before they were sent without it", () => {
    expect(gate.holds("web-a")).to.equal(true);
    expect(gate.holds("other")).to.equal(false);
  });

  it("releases a stopping pod once every connected node acknowledged services without it, and tells its node", () => {
    gate.published(
      2,
      serving("web-b"),
      on((pod) => pod === "web-a"),
    );
    gate.acknowledge("n1", 2);
    expect(gate.holds("web-a")).to.equal(true);
    gate.acknowledge("n2", 1); // an older version does not count
    expect(gate.holds("web-a")).to.equal(true);
    gate.acknowledge("n2", 3);
    expect(gate.holds("web-a")).to.equal(false);
    expect(released).to.deep.equal(["n1"]);
  });

  it("does not wait for a node whose stream closed", () => {
    gate.published(
      2,
      serving("web-b"),
      on((pod) => pod === "web-a"),
    );
    gate.acknowledge("n1", 2);
    connected = ["n1"];
    gate.forget("n2");
    expect(gate.holds("web-a")).to.equal(false);
  });

  it("releases it after the bound when a connected node never answers", () => {
    gate.published(
      2,
      serving("web-b"),
      on((pod) => pod === "web-a"),
    );
    clock.advance(2999);
    gate.check();
    expect(gate.holds("web-a")).to.equal(true);
    clock.advance(1);
    gate.check();
    expect(gate.holds("web-a")).to.equal(false);
  });

  it("does not hold a pod that left the services without stopping (its readiness failed)", () => {
    gate.published(
      2,
      serving("web-b"),
      on(() => false),
    );
    expect(gate.holds("web-a")).to.equal(false);
    expect(released).to.deep.equal([]);
  });
});
