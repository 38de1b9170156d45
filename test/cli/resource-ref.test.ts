import { expect } from "chai";
import { closestCommand } from "../../src/cli/did-you-mean.js";
import { parseOneResource, parseResourceArgs } from "../../src/cli/resource-ref.js";

describe("what users type", () => {
  it("names resources in kubectl's forms", () => {
    expect(parseResourceArgs(["pod/a", "deployment/b"])).to.deep.equal({
      refs: [
        { type: "pod", name: "a" },
        { type: "deployment", name: "b" },
      ],
    });
    expect(parseResourceArgs(["pods", "a", "b"])).to.deep.equal({
      refs: [
        { type: "pod", name: "a" },
        { type: "pod", name: "b" },
      ],
    });
    expect(parseResourceArgs(["deploy"])).to.deep.equal({ refs: [], typeOnly: "deployment" });
    expect(parseResourceArgs(["web"], "pod")).to.deep.equal({ refs: [{ type: "pod", name: "web" }] });
    expect(() => parseResourceArgs(["web"])).to.throw('unknown resource type "web" (supported types: pod, deployment)');
    expect(() => parseResourceArgs(["pod", "a/b"])).to.throw('"a/b": give either TYPE NAME… or TYPE/NAME…, not both');
    expect(() => parseOneResource(["pod"])).to.throw("name the pod: pod/NAME or pod NAME");
    expect(() => parseOneResource(["pod", "a", "b"])).to.throw("one resource at a time here, got 2: pod/a, pod/b");
  });

  it("suggests the command meant by a typo, and nothing for another word", () => {
    const commands = ["apply", "list", "get", "describe", "rollout status", "rollout undo", "nodes"];
    expect(closestCommand("lst", commands)).to.equal("list");
    expect(closestCommand("aply", commands)).to.equal("apply");
    expect(closestCommand("rolout status", commands)).to.equal("rollout status");
    expect(closestCommand("frobnicate", commands)).to.equal(undefined);
  });
});
