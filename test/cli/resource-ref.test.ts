import { expect } from "chai";
import { flagError } from "../../src/cli/describe-error.js";
import { closestCommand, guessCommand } from "../../src/cli/did-you-mean.js";
import { pickReplica } from "../../src/cli/pick-pod.js";
import { parseNodeArgs, parseOneResource, parseResourceArgs } from "../../src/cli/resource-ref.js";
import type { Pod } from "../../src/gen/cube.js";

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
    expect(() => parseResourceArgs(["web"])).to.throw('unknown resource type "web" (supported types: pod, deployment, service, secret, config)');
    expect(() => parseResourceArgs(["pod", "a/b"])).to.throw('"a/b": give either TYPE NAME… or TYPE/NAME…, not both');
    expect(() => parseOneResource(["pod"])).to.throw("name the pod: pod/NAME or pod NAME");
    expect(() => parseOneResource(["pod", "a", "b"])).to.throw("one resource at a time here, got 2: pod/a, pod/b");
  });

  it("names nodes in kubectl's forms, apart from the resources the leader applies", () => {
    expect(parseNodeArgs(["nodes"])).to.deep.equal([]);
    expect(parseNodeArgs(["no"])).to.deep.equal([]);
    expect(parseNodeArgs(["node", "a", "b"])).to.deep.equal(["a", "b"]);
    expect(parseNodeArgs(["node/a", "nodes/b"])).to.deep.equal(["a", "b"]);
    expect(parseNodeArgs(["pods"])).to.equal(undefined);
    expect(parseNodeArgs(["pod/node"])).to.equal(undefined);
    expect(parseNodeArgs([])).to.equal(undefined);
    expect(() => parseNodeArgs(["node/a", "pod/b"])).to.throw("nodes are shown apart from other resources: cube get node/NAME…");
    expect(() => parseNodeArgs(["node", "node/a"])).to.throw('"node/a": give either node NAME… or node/NAME…, not both');
  });

  it("picks a deployment's replica as kubectl does: ready, then running, oldest first; none when none runs", () => {
    const pod = (name: string, phase: string, ready: boolean, createdSeconds: number): Pod => ({
      metadata: { name, uid: name, labels: {}, createdAt: new Date(createdSeconds * 1000) },
      specJson: "{}",
      status: { phase, ready, containers: [], used: [], reason: "", message: "" },
      ports: [],
    });
    expect(pickReplica([pod("a", "Running", true, 2), pod("b", "Running", true, 1), pod("c", "Running", false, 0)])).to.equal("b");
    expect(pickReplica([pod("a", "Pending", false, 0), pod("b", "Running", false, 5), pod("c", "Failed", false, 1)])).to.equal("b");
    expect(pickReplica([pod("a", "Running", true, 1), pod("b", "Running", true, 1)])).to.equal("a");
    expect(pickReplica([pod("a", "Pending", false, 0), pod("b", "Failed", false, 0)])).to.equal(undefined);
    expect(pickReplica([])).to.equal(undefined);
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
