import { expect } from "chai";
import { waitState } from "../../src/cli/apply-wait.js";
import type { ResourceSummary, Rollout } from "../../src/gen/cube.js";

const pod = (status: string, ready = 1, containers = 1): ResourceSummary => ({
  type: "pod",
  name: "p",
  status,
  labels: {},
  readyContainers: ready,
  containers,
  restarts: 0,
  ports: [],
});
const deployment = (rollout: Partial<Rollout>, available = 3): ResourceSummary => ({
  ...pod("3/3 ready"),
  type: "deployment",
  deployment: {
    replicas: 3,
    ready: 3,
    updated: 3,
    available,
    strategy: "",
    rollout: { revision: 2, state: "Progressing", message: "", startedAt: new Date(0), ...rollout },
  },
});

describe("apply --wait", () => {
  const cases: [string, ResourceSummary, number | undefined, ReturnType<typeof waitState>][] = [
    ["a pod Running with every container ready: ready", pod("Running"), undefined, { done: "ready" }],
    ["a pod Running, a container not ready: waiting", pod("Running", 1, 2), undefined, { done: false, what: "Running, 1/2 ready" }],
    ["a pod being created: waiting", pod("ContainerCreating", 0), undefined, { done: false, what: "ContainerCreating" }],
    ["a pod whose image cannot be pulled: failed", pod("ErrImagePull", 0), undefined, { done: "failed", why: "ErrImagePull" }],
    ["a crash-looping pod: failed", pod("CrashLoopBackOff", 0), undefined, { done: "failed", why: "CrashLoopBackOff" }],
    ["a service, even with no endpoint yet: nothing to wait for", { ...pod("0 endpoints"), type: "service" }, undefined, { done: "ready" }],
    ["a secret: nothing to wait for", { ...pod("Opaque, 1 key"), type: "secret" }, undefined, { done: "ready" }],
    ["a config: nothing to wait for", { ...pod(""), type: "config" }, undefined, { done: "ready" }],
    ["a deployment whose rollout completed: ready", deployment({ state: "Complete" }), 2, { done: "ready" }],
    ["a deployment rolling out: waiting", deployment({}, 1), 2, { done: false, what: "1/3 available, 3 up to date" }],
    [
      "a deployment whose rollout stopped: failed",
      deployment({ state: "Failed", message: "pod/x is ErrImagePull" }),
      2,
      { done: "failed", why: "pod/x is ErrImagePull" },
    ],
    [
      "a deployment rolled back from the revision applied: failed, though the rollback completed",
      deployment({ revision: 3, state: "Complete", rolledBackFrom: 2, message: "revision 2 failed: pod/x is CrashLoopBackOff" }),
      2,
      { done: "failed", why: "rolled back: revision 2 failed: pod/x is CrashLoopBackOff" },
    ],
  ];
  for (const [name, item, revision, expected] of cases) it(name, () => expect(waitState(item, revision)).to.deep.equal(expected));
});
