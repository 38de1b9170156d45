import { expect } from "chai";
import { completeWords, type CompletableCommand, type NameSource } from "../../src/cli/complete-words.js";

const commands: CompletableCommand[] = [
  { id: "get", aliases: ["describe"], flags: ["--output", "-o", "--watch", "-w"] },
  { id: "logs", aliases: [], flags: ["--follow", "-f"] },
  { id: "list", aliases: [], flags: ["--output", "-o"] },
  { id: "rollout status", aliases: [], flags: ["--timeout"] },
  { id: "rollout undo", aliases: [], flags: ["--to-revision"] },
  { id: "drain", aliases: [], flags: ["--timeout"] },
  { id: "apply", aliases: [], flags: ["--filename", "-f"] },
  { id: "top", aliases: [], flags: ["--sort", "--containers", "--output", "-o"] },
];
const names: NameSource = {
  resources: async (type) => (type === "pod" ? ["web-1", "web-2", "db"] : ["web"]),
  nodes: async () => ["host-1", "host-2"],
};
const complete = (...words: string[]) => completeWords(words, commands, names);

describe("shell completion", () => {
  it("completes commands, topics and their subcommands", async () => {
    expect(await complete("")).to.deep.equal(["get", "describe", "logs", "list", "rollout", "drain", "apply", "top"]);
    expect(await complete("l")).to.deep.equal(["logs", "list"]);
    expect(await complete("rollout", "")).to.deep.equal(["status", "undo"]);
    expect(await complete("rollout", "s")).to.deep.equal(["status"]);
  });

  it("completes flags, and -o's formats", async () => {
    expect(await complete("get", "--w")).to.deep.equal(["--watch"]);
    expect(await complete("get", "pods", "-o", "")).to.deep.equal(["table", "wide", "json", "yaml", "name"]);
  });

  it("completes top's pods or nodes, and --sort's figures", async () => {
    expect(await complete("top", "")).to.deep.equal(["pods", "nodes"]);
    expect(await complete("top", "n")).to.deep.equal(["nodes"]);
    expect(await complete("top", "pods", "")).to.deep.equal([]);
    expect(await complete("top", "pods", "--sort", "")).to.deep.equal(["cpu", "memory"]);
    expect(await complete("get", "--sort", "")).to.deep.equal(["pod", "deployment", "service", "secret", "config"]);
  });

  it("completes resource types, then the names of existing resources, in every form", async () => {
    expect(await complete("get", "")).to.deep.equal(["pod", "deployment", "service", "secret", "config"]);
    expect(await complete("get", "pod", "web")).to.deep.equal(["web-1", "web-2"]);
    expect(await complete("describe", "pod/w")).to.deep.equal(["pod/web-1", "pod/web-2"]);
    expect(await complete("logs", "d")).to.deep.equal(["db"]);
    expect(await complete("rollout", "status", "")).to.deep.equal(["deployment", "web"]);
    expect(await complete("drain", "host-")).to.deep.equal(["host-1", "host-2"]);
    expect(await complete("apply", "")).to.deep.equal([]);
  });
});
