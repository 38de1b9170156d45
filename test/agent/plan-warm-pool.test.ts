import { expect } from "chai";
import type { PodAction } from "../../src/agent/compute-pod-actions.js";
import type { ObservedContainer } from "../../src/agent/container-runtime.js";
import { planWarmPool, type WarmPoolSituation } from "../../src/agent/plan-warm-pool.js";
import { at, healthyWeb, warmSandbox } from "../helpers/pod-fixtures.js";

const summary = (action: PodAction) => (action.type === "removeContainer" ? `remove ${action.container.id}` : action.type);

interface Case {
  name: string;
  observed: ObservedContainer[];
  situation?: Partial<WarmPoolSituation>;
  expected: string[];
}

const full = [warmSandbox("w1", { createdAt: at(1) }), warmSandbox("w2", { createdAt: at(2) })];
const base: WarmPoolSituation = { target: 2, idle: true, claimed: new Set() };

const cases: Case[] = [
  { name: "the pool is full: nothing to do", observed: [...healthyWeb(), ...full], expected: [] },
  { name: "one missing and the node idle: make one", observed: [full[0]], expected: ["createWarmSandbox"] },
  { name: "empty and idle: one at a time (the next pass makes the next)", observed: [], expected: ["createWarmSandbox"] },
  { name: "one missing but the node busy with pods: wait until it is idle", observed: [full[0]], situation: { idle: false }, expected: [] },
  {
    name: "a claimed sandbox is no longer the pool's: make another",
    observed: full,
    situation: { claimed: new Set(["w1"]) },
    expected: ["createWarmSandbox"],
  },
  {
    name: "a warm sandbox that stopped goes, even when busy",
    observed: [...full, warmSandbox("dead", { state: "exited" })],
    situation: { idle: false },
    expected: ["remove dead"],
  },
  {
    name: "one created but never started (the node stopped in between) goes, and is replaced",
    observed: [full[0], warmSandbox("half", { state: "created", startedAt: undefined })],
    expected: ["remove half", "createWarmSandbox"],
  },
  { name: "a lower target: the oldest beyond it go", observed: full, situation: { target: 1 }, expected: ["remove w1"] },
  { name: "target zero drains the pool", observed: full, situation: { target: 0 }, expected: ["remove w2", "remove w1"] },
  {
    name: "warm sandboxes off the node's pod network go, and new ones are made on it",
    observed: [warmSandbox("old", { network: "default" }), warmSandbox("w1", { network: "cube-pods-n" })],
    situation: { network: { name: "cube-pods-n", ready: true } },
    expected: ["remove old", "createWarmSandbox"],
  },
  {
    name: "the pod network not ready: none is made (nor removed) until it is",
    observed: [warmSandbox("old", { network: "default" })],
    situation: { network: { name: "cube-pods-n", ready: false } },
    expected: [],
  },
];

describe("planWarmPool", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(planWarmPool(c.observed, { ...base, ...c.situation }).map(summary)).to.deep.equal(c.expected);
    });
  }
});
