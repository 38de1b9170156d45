import { expect } from "chai";
import { computePodActions, ORPHAN_GRACE_SECONDS, type NodeMemory, type PodAction } from "../../src/agent/compute-pod-actions.js";
import type { ObservedContainer } from "../../src/agent/container-runtime.js";
import type { LocalPod } from "../../src/agent/local-pod.js";
import type { RestartState } from "../../src/agent/restart-tracker.js";
import { at, healthyWeb, observed, warmSandbox, webPod } from "../helpers/pod-fixtures.js";

/** An action in a form a table can state: "remove app (7s): reason", "sandbox", "start app in pause-running-…". */
function summary(action: PodAction): string {
  switch (action.type) {
    case "removeContainer":
      return `remove ${action.container.containerName ?? "pause"}/${action.container.state} (${action.graceSeconds}s)`;
    case "stopContainer":
      return `stop ${action.container.containerName ?? "pause"} (${action.graceSeconds}s)`;
    case "createSandbox":
      return "create sandbox";
    case "claimSandbox":
      return `claim ${action.sandbox.id}`;
    case "createWarmSandbox":
      return "create warm sandbox";
    case "startContainer":
      if (action.sandboxId === undefined) return `start ${action.container.name} in the new sandbox`;
      return action.sandboxId === observed(undefined).id ? `start ${action.container.name}` : `start ${action.container.name} in ${action.sandboxId}`;
  }
}

const NOW = at(100).getTime();
const noMemory: NodeMemory = { restarts: new Map(), now: NOW };
/** Memory holding one restart state for container `name` of the base pod. */
const remembering = (name: string, state: Partial<RestartState>): NodeMemory => ({
  restarts: new Map([[`uid-web/hash-1/${name}`, { restarts: 0, failures: 1, ...state }]]),
  now: NOW,
});
const startsInNew = ["start app in the new sandbox", "start sidecar in the new sandbox"];
const appExited = observed("app", { id: "app-dead", state: "exited", exitCode: 1, createdAt: at(10), finishedAt: at(20) });

interface Case {
  name: string;
  pods?: LocalPod[];
  observed: ObservedContainer[];
  memory?: NodeMemory;
  expected: string[];
}

const cases: Case[] = [
  { name: "everything is fine: nothing to do", observed: healthyWeb(), expected: [] },
  { name: "a new pod: its sandbox, then its containers, in one plan", observed: [], expected: ["create sandbox", ...startsInNew] },
  {
    name: "a new pod and a warm sandbox ready: claim it and start the containers in it",
    observed: [warmSandbox("warm-1")],
    expected: ["claim warm-1", "start app in warm-1", "start sidecar in warm-1"],
  },
  {
    name: "a pod running, warm sandboxes around: nothing to do (they are no pod's orphans)",
    observed: [...healthyWeb(), warmSandbox("warm-1"), warmSandbox("warm-2", { state: "exited" })],
    expected: [],
  },
  {
    name: "a new pod that publishes a host port: a sandbox of its own (ports are set when it is created)",
    pods: [webPod({ hostPorts: [{ container: "app", containerPort: 80, protocol: "tcp", hostAddress: "0.0.0.0", hostPort: 8080 }] })],
    observed: [warmSandbox("warm-1")],
    expected: ["create sandbox", ...startsInNew],
  },
  {
    name: "a new pod that sets its hostname: a sandbox of its own (a sandbox's hostname is set when it is created)",
    pods: [webPod({ spec: { ...webPod().spec, hostname: "db-0" } })],
    observed: [warmSandbox("warm-1")],
    expected: ["create sandbox", ...startsInNew],
  },
  {
    name: "a warm sandbox that is not running is not claimed",
    observed: [warmSandbox("warm-1", { state: "exited" })],
    expected: ["create sandbox", ...startsInNew],
  },
  {
    name: "a warm sandbox another pod's worker is claiming is not claimed again",
    observed: [warmSandbox("warm-1")],
    memory: { ...noMemory, claiming: new Set(["warm-1"]) },
    expected: ["create sandbox", ...startsInNew],
  },
  {
    name: "two new pods and one warm sandbox: the first claims it, the second gets a sandbox made",
    pods: [webPod(), webPod({ uid: "uid-db", name: "db" })],
    observed: [warmSandbox("warm-1")],
    expected: ["claim warm-1", "start app in warm-1", "start sidecar in warm-1", "create sandbox", ...startsInNew],
  },
  {
    name: "the sandbox stopped and a warm one is ready: remove the pod's containers, claim it, start them in it",
    observed: [observed(undefined, { state: "exited", exitCode: 137 }), observed("app"), observed("sidecar"), warmSandbox("warm-1")],
    expected: [
      "remove app/running (7s)",
      "remove sidecar/running (7s)",
      "remove pause/exited (0s)",
      "claim warm-1",
      "start app in warm-1",
      "start sidecar in warm-1",
    ],
  },
  {
    name: "a new sandbox while a crashed container's back-off runs: that container waits",
    observed: [observed(undefined, { state: "exited", exitCode: 137 }), appExited],
    memory: remembering("app", { lastCounted: "app-dead", retryAt: NOW + 1 }),
    expected: ["remove app/exited (7s)", "remove pause/exited (0s)", "create sandbox", "start sidecar in the new sandbox"],
  },
  {
    name: "a container its probes call unhealthy: stop it gracefully (its exit is then counted)",
    observed: healthyWeb(),
    memory: { ...noMemory, probes: new Map([[observed("app").id, { ready: false, unhealthy: "Liveness probe failed: HTTP 500 from /healthz" }]]) },
    expected: ["stop app (7s)"],
  },
  {
    name: "a container not ready but not unhealthy: nothing to do",
    observed: healthyWeb(),
    memory: { ...noMemory, probes: new Map([[observed("app").id, { ready: false }]]) },
    expected: [],
  },
  {
    name: "a sandbox without its containers: start them",
    observed: [observed(undefined)],
    expected: ["start app", "start sidecar"],
  },
  { name: "one container missing: start it alone", observed: [observed(undefined), observed("app")], expected: ["start sidecar"] },
  {
    name: "the sandbox stopped: remove the pod's containers (apps first, gracefully) and start over",
    observed: [observed(undefined, { state: "exited", exitCode: 137 }), observed("app"), observed("sidecar")],
    expected: ["remove app/running (7s)", "remove sidecar/running (7s)", "remove pause/exited (0s)", "create sandbox", ...startsInNew],
  },
  {
    name: "a new spec: remove the old version's containers, then start the new one",
    pods: [webPod({ specHash: "hash-2" })],
    observed: healthyWeb(),
    expected: ["remove app/running (7s)", "remove sidecar/running (7s)", "remove pause/running (0s)", "create sandbox", ...startsInNew],
  },
  {
    name: "a pod this node does not hold: its containers are orphans",
    pods: [],
    observed: healthyWeb(),
    expected: [`remove app/running (${ORPHAN_GRACE_SECONDS}s)`, `remove sidecar/running (${ORPHAN_GRACE_SECONDS}s)`, "remove pause/running (0s)"],
  },
  {
    name: "a deleted pod: stop its containers gracefully, apps before the sandbox",
    pods: [webPod({ termination: "deleted" })],
    observed: [observed(undefined), observed("app"), observed("sidecar", { state: "exited", exitCode: 0 })],
    expected: ["remove app/running (7s)", "remove sidecar/exited (7s)", "remove pause/running (0s)"],
  },
  { name: "a deleted pod with nothing left: nothing to do", pods: [webPod({ termination: "deleted" })], observed: [], expected: [] },
  {
    name: "a pod moved to another node: its containers go, gracefully",
    pods: [webPod({ termination: "unassigned" })],
    observed: healthyWeb(),
    expected: ["remove app/running (7s)", "remove sidecar/running (7s)", "remove pause/running (0s)"],
  },
  {
    name: "a container created but never started: replace it",
    observed: [observed(undefined), observed("app", { state: "created", startedAt: undefined }), observed("sidecar")],
    expected: ["remove app/created (0s)", "start app"],
  },
  {
    name: "a container the engine could not start: leave it (its status says why)",
    observed: [observed(undefined), observed("app", { state: "created", error: 'exec: "nope": executable file not found' }), observed("sidecar")],
    expected: [],
  },
  {
    name: "an image that failed to pull, during its back-off: wait",
    observed: [observed(undefined), observed("sidecar")],
    memory: remembering("app", { lastCounted: "pull:1", retryAt: NOW + 1, lastFailure: { kind: "pull", reason: "ErrImagePull", message: "denied" } }),
    expected: [],
  },
  {
    name: "an image that failed to pull, back-off over: try again",
    observed: [observed(undefined), observed("sidecar")],
    memory: remembering("app", { lastCounted: "pull:1", retryAt: NOW, lastFailure: { kind: "pull", reason: "ErrImagePull", message: "denied" } }),
    expected: ["start app"],
  },
  {
    name: "a crashed container during its back-off: wait",
    observed: [observed(undefined), appExited, observed("sidecar")],
    memory: remembering("app", { lastCounted: "app-dead", retryAt: NOW + 1 }),
    expected: [],
  },
  {
    name: "a crashed container whose back-off is over: start a new one, keeping the dead one",
    observed: [observed(undefined), appExited, observed("sidecar")],
    memory: remembering("app", { lastCounted: "app-dead", retryAt: NOW }),
    expected: ["start app"],
  },
  {
    name: "an exited container its policy does not restart: left as it is",
    observed: [observed(undefined), appExited, observed("sidecar")],
    memory: remembering("app", { lastCounted: "app-dead", retryAt: undefined }),
    expected: [],
  },
  {
    name: "only the last dead instance is kept",
    observed: [
      observed(undefined),
      observed("app", { createdAt: at(30) }),
      appExited,
      observed("app", { state: "exited", exitCode: 1, createdAt: at(5) }),
      observed("app", { state: "exited", exitCode: 1, createdAt: at(1) }),
      observed("sidecar"),
    ],
    expected: ["remove app/exited (7s)", "remove app/exited (7s)"],
  },
  {
    name: "during a back-off, the newest dead instance is the one kept",
    observed: [observed(undefined), appExited, observed("app", { state: "exited", exitCode: 1, createdAt: at(5) }), observed("sidecar")],
    memory: remembering("app", { lastCounted: "app-dead", retryAt: NOW + 1 }),
    expected: ["remove app/exited (7s)"],
  },
  {
    name: "a container the node gave up on: the pod is Failed, what still runs is stopped, nothing is removed",
    observed: [observed(undefined), appExited, observed("sidecar")],
    memory: remembering("app", { lastCounted: "app-dead", failures: 5, gaveUp: "container app failed 5 times in a row" }),
    expected: ["stop sidecar (7s)", "stop pause (0s)"],
  },
  {
    name: "two sandboxes running: keep the newest",
    observed: [observed(undefined, { createdAt: at(5) }), observed(undefined, { createdAt: at(0) }), observed("app"), observed("sidecar")],
    expected: ["remove pause/running (0s)"],
  },
  {
    name: "two instances of a container running: keep the newest",
    observed: [...healthyWeb(), observed("app", { createdAt: at(9) })],
    expected: ["remove app/running (7s)"],
  },
  {
    name: "the pod network ready, the sandbox on it: nothing to do",
    observed: [observed(undefined, { network: "cube-pods-n" }), observed("app"), observed("sidecar")],
    memory: { ...noMemory, network: { name: "cube-pods-n", ready: true } },
    expected: [],
  },
  {
    name: "a sandbox made before the node had its pod network: the pod starts again on it (kubelet's SandboxChanged)",
    observed: healthyWeb(),
    memory: { ...noMemory, network: { name: "cube-pods-n", ready: true } },
    expected: ["remove app/running (7s)", "remove sidecar/running (7s)", "remove pause/running (0s)", "create sandbox", ...startsInNew],
  },
  {
    name: "the pod network not ready yet: a new pod waits for it, a running one is left as it is",
    pods: [webPod(), webPod({ uid: "uid-new", name: "new" })],
    observed: healthyWeb(),
    memory: { ...noMemory, network: { name: "cube-pods-n", ready: false } },
    expected: [],
  },
  {
    name: "a hostNetwork pod: a sandbox of its own on the node's network, even before the pod network is ready",
    pods: [webPod({ spec: { ...webPod().spec, hostNetwork: true } })],
    observed: [warmSandbox("warm-1", { network: "cube-pods-n" })],
    memory: { ...noMemory, network: { name: "cube-pods-n", ready: false } },
    expected: ["create sandbox", ...startsInNew],
  },
  {
    name: "a hostNetwork pod running on the node's network: nothing to do",
    pods: [webPod({ spec: { ...webPod().spec, hostNetwork: true } })],
    observed: [observed(undefined, { network: "host" }), observed("app"), observed("sidecar")],
    memory: { ...noMemory, network: { name: "cube-pods-n", ready: true } },
    expected: [],
  },
  {
    name: "a warm sandbox off the pod network is not claimed; one on it is",
    observed: [warmSandbox("warm-old", { network: "default" }), warmSandbox("warm-1", { network: "cube-pods-n" })],
    memory: { ...noMemory, network: { name: "cube-pods-n", ready: true } },
    expected: ["claim warm-1", "start app in warm-1", "start sidecar in warm-1"],
  },
];

describe("computePodActions", () => {
  for (const c of cases) {
    it(c.name, () => {
      const actions = computePodActions(c.pods ?? [webPod()], c.observed, c.memory ?? noMemory).flatMap((plan) => plan.actions);
      expect(actions.map(summary)).to.deep.equal(c.expected);
    });
  }

  it("makes one plan per pod that needs anything, each with its own actions", () => {
    const other = webPod({ uid: "uid-db", name: "db" });
    const plans = computePodActions([webPod(), other], [...healthyWeb(), observed("app", { podUid: "uid-gone", podName: "gone" })], noMemory);
    expect(plans.map((plan) => `${plan.podUid}: ${plan.actions.map(summary).join(", ")}`)).to.deep.equal([
      `uid-gone: remove app/running (${ORPHAN_GRACE_SECONDS}s)`,
      "uid-db: create sandbox, start app in the new sandbox, start sidecar in the new sandbox",
    ]);
  });

  it("says why a pod's containers go: deleted, or no longer assigned to this node", () => {
    const reasons = (termination: "deleted" | "unassigned") =>
      computePodActions([webPod({ termination })], [observed("app")], noMemory).flatMap((plan) => plan.actions.map((action) => action.reason));
    expect(reasons("deleted")).to.deep.equal(["the pod was deleted"]);
    expect(reasons("unassigned")).to.deep.equal(["the pod is no longer assigned to this node"]);
  });

  it("starts a container in the running sandbox, with a reason", () => {
    const [action] = computePodActions([webPod()], [observed(undefined), observed("sidecar")], noMemory)[0].actions;
    expect(action).to.deep.include({ type: "startContainer", sandboxId: observed(undefined).id, reason: "container app does not exist yet" });
  });

  it("keeps the newest of two sandboxes", () => {
    const [removal] = computePodActions(
      [webPod()],
      [observed(undefined, { createdAt: at(5) }), observed(undefined, { createdAt: at(0) }), observed("app"), observed("sidecar")],
      noMemory,
    )[0].actions;
    expect(removal.type === "removeContainer" && removal.container.createdAt).to.deep.equal(at(0));
  });
});
