import { expect } from "chai";
import { planDeployment, resolveBound, type DeploymentIntent, type OwnedPod } from "../../src/leader/plan-deployment.js";

const NOW = 1_000_000;
const intent = (change: Partial<DeploymentIntent> = {}): DeploymentIntent => ({
  replicas: 3,
  templateHash: "new",
  strategy: { type: "RollingUpdate", maxSurge: "25%", maxUnavailable: "25%" },
  minReadySeconds: 0,
  ...change,
});
/** Pods `prefix-0…` of a template: ready for a minute unless told otherwise, created a second apart. */
const pods = (count: number, hash: string, change: Partial<OwnedPod> = {}): OwnedPod[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `${hash}-${i}`,
    templateHash: hash,
    createdAt: NOW - 100_000 + i * 1000,
    readySince: NOW - 60_000,
    deleting: false,
    ...change,
  }));
/** A plan in a form a table can state. */
const summary = (plan: ReturnType<typeof planDeployment>) => ({ create: plan.create, delete: plan.delete.map((d) => d.name), complete: plan.complete });

describe("planDeployment", () => {
  const cases: { name: string; intent?: DeploymentIntent; pods: OwnedPod[]; expected: ReturnType<typeof summary> }[] = [
    { name: "everything is fine: nothing to do, complete", pods: pods(3, "new"), expected: { create: 0, delete: [], complete: true } },
    { name: "a new deployment: every replica at once", pods: [], expected: { create: 3, delete: [], complete: false } },
    { name: "a replica lost: replaced", pods: pods(2, "new"), expected: { create: 1, delete: [], complete: false } },
    {
      name: "scaled down: the pods that serve least go first (not ready, then the newest)",
      intent: intent({ replicas: 2 }),
      pods: [...pods(3, "new"), { name: "new-starting", templateHash: "new", createdAt: NOW - 1000, deleting: false }],
      expected: { create: 0, delete: ["new-starting", "new-2"], complete: false },
    },
    {
      name: "not complete while a replica is not yet available for minReadySeconds",
      intent: intent({ minReadySeconds: 120 }),
      pods: pods(3, "new"),
      expected: { create: 0, delete: [], complete: false },
    },
    {
      name: "rolling update starts: one new within the surge (25% of 3, up: 1), no old removed yet (25% of 3, down: 0)",
      pods: pods(3, "old"),
      expected: { create: 1, delete: [], complete: false },
    },
    {
      name: "rolling update: a new pod available lets an old one go",
      pods: [...pods(3, "old"), ...pods(1, "new")],
      expected: { create: 0, delete: ["old-0"], complete: false },
    },
    {
      name: "rolling update: a new pod not ready yet holds the old ones (readiness gating)",
      pods: [...pods(3, "old"), ...pods(1, "new", { readySince: undefined })],
      expected: { create: 0, delete: [], complete: false },
    },
    {
      name: "rolling update: an old pod not available goes at once, it costs nothing",
      pods: [...pods(2, "old"), ...pods(1, "old", { name: "old-broken", readySince: undefined }), ...pods(1, "new", { readySince: undefined })],
      expected: { create: 0, delete: ["old-broken"], complete: false },
    },
    {
      name: "maxUnavailable 0, maxSurge 1 (odd numbers: 5 replicas): one new at a time, an old goes only when a new is available",
      intent: intent({ replicas: 5, strategy: { type: "RollingUpdate", maxSurge: 1, maxUnavailable: 0 } }),
      pods: [...pods(5, "old"), ...pods(1, "new")],
      expected: { create: 0, delete: ["old-0"], complete: false },
    },
    {
      name: "maxSurge 0, maxUnavailable 1: an old goes first, then a new comes in its place",
      intent: intent({ strategy: { type: "RollingUpdate", maxSurge: 0, maxUnavailable: 1 } }),
      pods: pods(3, "old"),
      expected: { create: 0, delete: ["old-0"], complete: false },
    },
    {
      name: "maxSurge 0, maxUnavailable 1, one old gone: its new replacement",
      intent: intent({ strategy: { type: "RollingUpdate", maxSurge: 0, maxUnavailable: 1 } }),
      pods: [...pods(2, "old"), ...pods(1, "old", { name: "old-x", deleting: true })],
      expected: { create: 1, delete: [], complete: false },
    },
    {
      name: "rolling update: 50% of 10 surges 5 at once",
      intent: intent({ replicas: 10, strategy: { type: "RollingUpdate", maxSurge: "50%", maxUnavailable: 0 } }),
      pods: pods(10, "old"),
      expected: { create: 5, delete: [], complete: false },
    },
    {
      name: "rolling update ends: the last old pod goes once the new ones are available",
      pods: [...pods(1, "old"), ...pods(3, "new")],
      expected: { create: 0, delete: ["old-0"], complete: false },
    },
    {
      name: "Recreate: every old pod goes, nothing new yet",
      intent: intent({ strategy: { type: "Recreate" } }),
      pods: pods(3, "old"),
      expected: { create: 0, delete: ["old-0", "old-1", "old-2"], complete: false },
    },
    {
      name: "Recreate: nothing new while an old pod is still being deleted",
      intent: intent({ strategy: { type: "Recreate" } }),
      pods: pods(1, "old", { deleting: true }),
      expected: { create: 0, delete: [], complete: false },
    },
    {
      name: "Recreate: the old ones gone, every new replica",
      intent: intent({ strategy: { type: "Recreate" } }),
      pods: [],
      expected: { create: 3, delete: [], complete: false },
    },
  ];

  for (const c of cases) it(c.name, () => expect(summary(planDeployment(c.intent ?? intent(), c.pods, NOW))).to.deep.equal(c.expected));

  it("resolves bounds as Kubernetes rounds them: surge up, unavailability down", () => {
    expect([resolveBound("25%", 3, "up"), resolveBound("25%", 3, "down"), resolveBound("25%", 10, "up"), resolveBound("25%", 10, "down")]).to.deep.equal([
      1, 0, 3, 2,
    ]);
    expect(resolveBound(2, 10, "up")).to.equal(2);
  });

  it("says why each pod goes", () => {
    const plan = planDeployment(intent(), [...pods(3, "old"), ...pods(1, "new")], NOW);
    expect(plan.delete).to.deep.equal([{ name: "old-0", reason: "rolling update: replaced by the new template (4 available, at least 3 kept)" }]);
  });
});
