import { expect } from "chai";
import { flagError } from "../../src/cli/describe-error.js";
import { closestCommand, guessCommand } from "../../src/cli/did-you-mean.js";
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

  it("suggests the command meant with its arguments kept", () => {
    const commands = ["apply", "list", "get", "rollout status", "rollout undo"];
    expect(guessCommand(["gett", "pod/hello"], commands)).to.deep.equal({ unknown: "gett", meant: "get pod/hello" });
    expect(guessCommand(["rollout", "statsu", "deploy/web"], commands)).to.deep.equal({ unknown: "rollout statsu", meant: "rollout status deploy/web" });
    expect(guessCommand(["frobnicate", "x"], commands)).to.deep.equal({ unknown: "frobnicate" });
  });

  it("says oclif's refusal of a flag on one line, with the command's help", () => {
    const said = (message: string) => flagError(message, "cube scale");
    expect(said("Parsing --replicas \n\tExpected an integer but received: abc\nSee more help with --help")).to.equal(
      "--replicas: expected an integer but received: abc: see `cube scale --help`",
    );
    expect(said("Parsing --replicas \n\tExpected an integer greater than or equal to 0 but received: -1\nSee more help with --help")).to.equal(
      "--replicas: expected an integer greater than or equal to 0 but received: -1: see `cube scale --help`",
    );
    expect(said("The following error occurred:\n  Missing required flag replicas\nSee more help with --help")).to.equal(
      "--replicas is required: see `cube scale --help`",
    );
    expect(said("Nonexistent flag: --bogus\nSee more help with --help")).to.equal("unknown flag --bogus: see `cube scale --help`");
  });
});
