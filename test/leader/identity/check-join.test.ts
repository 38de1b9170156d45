import { expect } from "chai";
import { joinProblems, type DeclaredNode } from "../../../src/leader/identity/check-join.js";

describe("joinProblems: what a node may declare when it joins", () => {
  const leader = { name: "boss", nodeId: "leader-id" };
  const fine: DeclaredNode = { nodeId: "node-id-1", labels: { zone: "a", "cube.dev/gpu": "yes" }, cpuMillis: 8000, memoryBytes: 2 ** 34 };
  const cases: { name: string; node?: string; declared: Partial<DeclaredNode>; problems: string[] }[] = [
    { name: "a node as nodes are: nothing", declared: {}, problems: [] },
    { name: "the leader's own node, with its id: nothing", node: "boss", declared: { nodeId: "leader-id" }, problems: [] },
    {
      name: "another node with the leader's id (it would be the Leader, which no admin can remove)",
      declared: { nodeId: "leader-id" },
      problems: ["node id leader-id is the leader's own"],
    },
    { name: "an id of another form", declared: { nodeId: "../../x" }, problems: ['node id must be 1 to 64 letters, digits or "-", got "../../x"'] },
    {
      name: "capacity no machine has",
      declared: { cpuMillis: 2_000_000, memoryBytes: 2 ** 51 },
      problems: ["CPU must be 0 to 1000000 millicores (a thousand CPUs), got 2000000", `memory must be 0 to ${2 ** 50} bytes (1 PiB), got ${2 ** 51}`],
    },
    {
      name: "a negative or missing capacity",
      declared: { cpuMillis: -1, memoryBytes: Number.NaN },
      problems: ["CPU must be 0 to 1000000 millicores (a thousand CPUs), got -1", `memory must be 0 to ${2 ** 50} bytes (1 PiB), got NaN`],
    },
    { name: "a label that is not one", declared: { labels: { "a b": "c" } }, problems: ['label "a b=c" is not a label'] },
    {
      name: "too many labels",
      declared: { labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) },
      problems: ["at most 64 labels, got 65"],
    },
  ];
  for (const { name, node, declared, problems } of cases) {
    it(name, () => expect(joinProblems(node ?? "n1", { ...fine, ...declared }, leader)).to.deep.equal(problems));
  }
});
