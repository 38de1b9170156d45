import { expect } from "chai";
import { judgeRollout, type RolloutDecision, type RolloutFacts } from "../../../src/leader/deployments/judge-rollout.js";
import type { OwnedPod } from "../../../src/leader/deployments/plan-deployment.js";
import { intent, NOW, pods } from "../../helpers/owned-pods.js";

/** A rollout of template "new" started 10 s ago, deadline 60 s, revision 1 complete to go back to. */
const facts = (change: Partial<RolloutFacts> = {}): RolloutFacts => ({
  intent: intent(),
  progressDeadlineSeconds: 60,
  autoRollback: true,
  startedAt: NOW - 10_000,
  lastCompleteRevision: 1,
  ...change,
});

describe("judgeRollout", () => {
  const cases: { name: string; facts?: RolloutFacts; pods: OwnedPod[]; expected: RolloutDecision }[] = [
    { name: "every replica new and available, nothing else: complete", pods: pods(3, "new"), expected: { action: "complete" } },
    {
      name: "new replicas available but an old one still stopping: wait",
      pods: [...pods(3, "new"), ...pods(1, "old", { deleting: true })],
      expected: { action: "wait" },
    },
    {
      name: "a new replica ready, but not yet for minReadySeconds: wait",
      facts: facts({ intent: intent({ minReadySeconds: 30 }) }),
      pods: [...pods(2, "new"), ...pods(1, "new", { name: "new-late", readySince: NOW - 5_000 })],
      expected: { action: "wait" },
    },
    {
      name: "a new pod crash-looping: rolled back to the last complete revision",
      pods: [...pods(3, "old"), ...pods(1, "new", { name: "new-bad", readySince: undefined, phase: "CrashLoopBackOff" })],
      expected: { action: "rollback", toRevision: 1, reason: "pod/new-bad is CrashLoopBackOff" },
    },
    {
      name: "a new pod's image cannot be pulled: rolled back",
      pods: [...pods(3, "old"), ...pods(1, "new", { name: "new-bad", readySince: undefined, phase: "ImagePullBackOff" })],
      expected: { action: "rollback", toRevision: 1, reason: "pod/new-bad is ImagePullBackOff" },
    },
    {
      name: "an old pod crash-looping does not fail the new rollout",
      pods: [...pods(2, "old"), ...pods(1, "old", { name: "old-bad", phase: "CrashLoopBackOff" }), ...pods(1, "new", { readySince: undefined })],
      expected: { action: "wait" },
    },
    {
      name: "a failing pod being deleted does not count",
      pods: [...pods(3, "old"), ...pods(1, "new", { name: "new-gone", phase: "CrashLoopBackOff", deleting: true })],
      expected: { action: "wait" },
    },
    {
      name: "a new pod not ready within the deadline: rolled back",
      facts: facts({ startedAt: NOW - 120_000 }),
      pods: [...pods(3, "old"), ...pods(1, "new", { createdAt: NOW - 61_000, readySince: undefined })],
      expected: { action: "rollback", toRevision: 1, reason: "no progress for 60s (progressDeadlineSeconds): 0 of 3 new replicas available" },
    },
    {
      name: "the deadline runs from the last progress: a new pod available 30 s ago keeps it going",
      facts: facts({ startedAt: NOW - 300_000 }),
      pods: [
        ...pods(2, "old"),
        ...pods(1, "new", { createdAt: NOW - 200_000, readySince: NOW - 30_000 }),
        ...pods(1, "new", { name: "new-x", createdAt: NOW - 200_000, readySince: undefined }),
      ],
      expected: { action: "wait" },
    },
    {
      name: "autoRollback off: a failure stops the rollout where it stands",
      facts: facts({ autoRollback: false }),
      pods: [...pods(3, "old"), ...pods(1, "new", { name: "new-bad", readySince: undefined, phase: "ErrImagePull" })],
      expected: { action: "stop", reason: "pod/new-bad is ErrImagePull" },
    },
    {
      name: "no revision ever completed (a first rollout fails): stops, saying there is nothing to go back to",
      facts: facts({ lastCompleteRevision: undefined }),
      pods: pods(1, "new", { readySince: undefined, phase: "CreateContainerError" }),
      expected: { action: "stop", reason: "pod/new-0 is CreateContainerError; no earlier revision completed, nothing to roll back to" },
    },
    {
      name: "a new pod whose node gave up on it (Failed): rolled back",
      pods: [...pods(3, "old"), ...pods(1, "new", { readySince: undefined, phase: "Failed" })],
      expected: { action: "rollback", toRevision: 1, reason: "pod/new-0 is Failed" },
    },
    {
      name: "scaled to zero: complete once no pod is left",
      facts: facts({ intent: intent({ replicas: 0 }) }),
      pods: [],
      expected: { action: "complete" },
    },
  ];

  for (const c of cases) it(c.name, () => expect(judgeRollout(c.facts ?? facts(), c.pods, NOW)).to.deep.equal(c.expected));
});
