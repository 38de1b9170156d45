import { expect } from "chai";
import { waitingFor, type DependencyPod } from "../../src/leader/pod-dependencies.js";
import type { PodDependency } from "../../src/shared/domain.js";

const db = (phase: DependencyPod["phase"], ready = false, name = "db-1"): DependencyPod => ({ name, owner: "db", phase, ready });
const migrate = (phase: DependencyPod["phase"]): DependencyPod => ({ name: "migrate", phase, ready: false });

const cases: { name: string; dependsOn: PodDependency[]; pods: DependencyPod[]; expected: string | undefined }[] = [
  {
    name: "everything holds: nothing to wait for",
    dependsOn: [
      { name: "db", condition: "Ready" },
      { name: "migrate", condition: "Succeeded" },
    ],
    pods: [db("Running", true), migrate("Succeeded")],
    expected: undefined,
  },
  { name: "no dependency at all", dependsOn: [], pods: [], expected: undefined },
  { name: "a workload with no pod yet", dependsOn: [{ name: "db", condition: "Started" }], pods: [], expected: "db, which has no pod yet" },
  { name: "started: not while pending", dependsOn: [{ name: "db", condition: "Started" }], pods: [db("Pending")], expected: "db to start" },
  {
    name: "started: one running is enough",
    dependsOn: [{ name: "db", condition: "Started" }],
    pods: [db("Pending"), db("Running", false, "db-2")],
    expected: undefined,
  },
  {
    name: "started: one that ran to success counts",
    dependsOn: [{ name: "migrate", condition: "Started" }],
    pods: [migrate("Succeeded")],
    expected: undefined,
  },
  { name: "ready: running is not ready", dependsOn: [{ name: "db", condition: "Ready" }], pods: [db("Running")], expected: "db to be ready" },
  {
    name: "ready: one ready replica is enough",
    dependsOn: [{ name: "db", condition: "Ready" }],
    pods: [db("Running"), db("Running", true, "db-2")],
    expected: undefined,
  },
  { name: "succeeded: still running", dependsOn: [{ name: "migrate", condition: "Succeeded" }], pods: [migrate("Running")], expected: "migrate to succeed" },
  {
    name: "succeeded: a failure is said",
    dependsOn: [{ name: "migrate", condition: "Succeeded" }],
    pods: [migrate("Failed")],
    expected: "migrate to succeed (pod/migrate failed: it must be run again)",
  },
  {
    name: "succeeded: every replica",
    dependsOn: [{ name: "db", condition: "Succeeded" }],
    pods: [db("Succeeded"), db("Running", false, "db-2")],
    expected: "db to succeed",
  },
  {
    name: "a deployment's pod is not taken for a pod of the same name",
    dependsOn: [{ name: "db-1", condition: "Started" }],
    pods: [db("Running")],
    expected: "db-1, which has no pod yet",
  },
  {
    name: "the first that does not hold is said",
    dependsOn: [
      { name: "db", condition: "Ready" },
      { name: "migrate", condition: "Succeeded" },
    ],
    pods: [db("Running"), migrate("Running")],
    expected: "db to be ready",
  },
];

describe("waitingFor (a pod's dependencies)", () => {
  for (const c of cases) it(c.name, () => expect(waitingFor(c.dependsOn, c.pods)).to.equal(c.expected));
});
