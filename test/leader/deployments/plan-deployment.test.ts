import { expect } from "chai";
import { countReplicas, planDeployment, resolveBound, type DeploymentIntent, type OwnedPod } from "../../../src/leader/deployments/plan-deployment.js";
import { intent, NOW, pods } from "../../helpers/owned-pods.js";

/** A plan in a form a table can state. */
const summary = (plan: ReturnType<typeof planDeployment>) => ({ create: plan.create, delete: plan.delete.map((d) => d.name) });

describe("planDeployment", () => {
  const cases: { name: string; intent?: DeploymentIntent; pods: OwnedPod[]; expected: ReturnType<typeof summary> }[] = [
    { name: "everything is fine: nothing to do", pods: pods(3, "new"), expected: { create: 0, delete: [] } },
    { name: "a new deployment: every replica at once", pods: [], expected: { create: 3, delete: [] } },
    { name: "a replica lost: replaced", pods: pods(2, "new"), expected: { create: 1, delete: [] } },
    {
      name: "scaled down: the pods that serve least go first (not ready, then the newest)",
      intent: intent({ replicas: 2 }),
      pods: [...pods(3, "new"), ...pods(1, "new", { name: "new-starting", createdAt: NOW - 1000, readySince: undefined, phase: "ContainerCreating" })],
      expected: { create: 0, delete: ["new-starting", "new-2"] },
    },
    {
      name: "a replica its node gave up on (Failed): deleted and replaced",
      pods: [...pods(2, "new"), ...pods(1, "new", { name: "new-failed", readySince: undefined, phase: "Failed" })],
      expected: { create: 1, delete: ["new-failed"] },
    },
    {
      name: "a failed replica being deleted is not replaced twice",
      pods: [...pods(3, "new"), ...pods(1, "new", { name: "new-failed", readySince: undefined, phase: "Failed", deleting: true })],
      expected: { create: 0, delete: [] },
    },
    {
      name: "a replica not yet available for minReadySeconds: nothing to do (the rollout judge waits)",
      intent: intent({ minReadySeconds: 120 }),
      pods: pods(3, "new"),
      expected: { create: 0, delete: [] },
    },
    {
      name: "rolling update starts: one new within the surge (25% of 3, up: 1), no old removed yet (25% of 3, down: 0)",
      pods: pods(3, "old"),
      expected: { create: 1, delete: [] },
    },
    {
      name: "rolling update: a new pod available lets an old one go",
      pods: [...pods(3, "old"), ...pods(1, "new")],
      expected: { create: 0, delete: ["old-0"] },
    },
    {
      name: "rolling update: a new pod not ready yet holds the old ones (readiness gating)",
      pods: [...pods(3, "old"), ...pods(1, "new", { readySince: undefined })],
      expected: { create: 0, delete: [] },
    },
    {
      name: "rolling update: an old pod not available goes at once, it costs nothing",
      pods: [...pods(2, "old"), ...pods(1, "old", { name: "old-broken", readySince: undefined }), ...pods(1, "new", { readySince: undefined })],
      expected: { create: 0, delete: ["old-broken"] },
    },
    {
      name: "maxUnavailable 0, maxSurge 1 (odd numbers: 5 replicas): one new at a time, an old goes only when a new is available",
      intent: intent({ replicas: 5, strategy: { type: "RollingUpdate", maxSurge: 1, maxUnavailable: 0 } }),
      pods: [...pods(5, "old"), ...pods(1, "new")],
      expected: { create: 0, delete: ["old-0"] },
    },
    {
      name: "maxSurge 0, maxUnavailable 1: an old goes first, then a new comes in its place",
      intent: intent({ strategy: { type: "RollingUpdate", maxSurge: 0, maxUnavailable: 1 } }),
      pods: pods(3, "old"),
      expected: { create: 0, delete: ["old-0"] },
    },
    {
      name: "maxSurge 0, maxUnavailable 1, one old gone: its new replacement",
      intent: intent({ strategy: { type: "RollingUpdate", maxSurge: 0, maxUnavailable: 1 } }),
      pods: [...pods(2, "old"), ...pods(1, "old", { name: "old-x", deleting: true })],
      expected: { create: 1, delete: [] },
    },
    {
      name: "rolling update: 50% of 10 surges 5 at once",
      intent: intent({ replicas: 10, strategy: { type: "RollingUpdate", maxSurge: "50%", maxUnavailable: 0 } }),
      pods: pods(10, "old"),
      expected: { create: 5, delete: [] },
    },
    {
      name: "rolling update ends: the last old pod goes once the new ones are available",
      pods: [...pods(1, "old"), ...pods(3, "new")],
      expected: { create: 0, delete: ["old-0"] },
    },
    {
      name: "a replica evicted (its node drained), maxSurge 1, maxUnavailable 0: its replacement comes first",
      intent: intent({ strategy: { type: "RollingUpdate", maxSurge: 1, maxUnavailable: 0 } }),
      pods: [...pods(2, "new"), ...pods(1, "new", { name: "new-evicted", evicting: true })],
      expected: { create: 1, delete: [] },
    },
    {
      name: "the replacement available: the evicted replica goes",
      intent: intent({ strategy: { type: "RollingUpdate", maxSurge: 1, maxUnavailable: 0 } }),
      pods: [...pods(3, "new"), ...pods(1, "new", { name: "new-evicted", evicting: true, createdAt: NOW - 200_000 })],
      expected: { create: 0, delete: ["new-evicted"] },
    },
    {
      name: "Recreate: an evicted replica goes first, then its replacement",
      intent: intent({ strategy: { type: "Recreate" } }),
      pods: [...pods(2, "new"), ...pods(1, "new", { name: "new-evicted", evicting: true })],
      expected: { create: 0, delete: ["new-evicted"] },
    },
    {
      name: "Recreate: every old pod goes, nothing new yet",
      intent: intent({ strategy: { type: "Recreate" } }),
      pods: pods(3, "old"),
      expected: { create: 0, delete: ["old-0", "old-1", "old-2"] },
    },
    {
      name: "Recreate: nothing new while an old pod is still being deleted",
      intent: intent({ strategy: { type: "Recreate" } }),
      pods: pods(1, "old", { deleting: true }),
      expected: { create: 0, delete: [] },
    },
    {
      name: "Recreate: the old ones gone, every new replica",
      intent: intent({ strategy: { type: "Recreate" } }),
      pods: [],
      expected: { create: 3, delete: [] },
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

  it("counts replicas as Kubernetes does: ready and available of any template, updated of the current one", () => {
    const owned = [
      ...pods(2, "old"),
      ...pods(1, "old", { name: "old-going", deleting: true }),
      ...pods(1, "new"),
      ...pods(1, "new", { name: "new-just-ready", readySince: NOW - 1000 }),
      ...pods(1, "new", { name: "new-starting", readySince: undefined }),
    ];
    expect(countReplicas(intent({ minReadySeconds: 10 }), owned, NOW)).to.deep.equal({ replicas: 3, ready: 4, updated: 3, available: 3 });
  });
});
