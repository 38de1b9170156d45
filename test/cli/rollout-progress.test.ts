import { expect } from "chai";
import type { DeploymentStatus, Rollout } from "../../src/gen/cube.js";
import { rolloutProgress, type RolloutProgress } from "../../src/cli/rollout-progress.js";

const status = (rollout: Partial<Rollout>, counts: Partial<DeploymentStatus> = {}): DeploymentStatus => ({
  replicas: 3,
  ready: 3,
  updated: 3,
  available: 3,
  strategy: "RollingUpdate",
  rollout: { revision: 2, state: "Progressing", message: "", startedAt: new Date(0), ...rollout },
  ...counts,
});

describe("rolloutProgress", () => {
  const cases: { name: string; followed?: number; status: DeploymentStatus; expected: RolloutProgress }[] = [
    {
      name: "complete: succeeded",
      status: status({ state: "Complete" }),
      expected: { revision: 2, outcome: "succeeded", line: "deployment/web successfully rolled out (revision 2)" },
    },
    {
      name: "new replicas still being created",
      status: status({}, { updated: 1, available: 3 }),
      expected: { revision: 2, line: "Waiting for deployment/web (revision 2) to roll out: 1 of 3 new replicas created…" },
    },
    {
      name: "every new replica created, not all available",
      status: status({}, { available: 2 }),
      expected: { revision: 2, line: "Waiting for deployment/web (revision 2) to roll out: 2 of 3 replicas available…" },
    },
    {
      name: "the followed revision was rolled back: failed",
      status: status({ revision: 3, rolledBackFrom: 2, message: "revision 2 failed: pod/web-x is CrashLoopBackOff" }),
      expected: { revision: 3, outcome: "failed", line: "deployment/web: revision 2 failed: pod/web-x is CrashLoopBackOff; rolled back (revision 3)" },
    },
    {
      name: "looked at after the rollback (it follows the rollback's revision): failed all the same, until a new template",
      followed: 3,
      status: status({ revision: 3, state: "Complete", rolledBackFrom: 2, message: "revision 2 failed: pod/web-x is CrashLoopBackOff" }),
      expected: { revision: 3, outcome: "failed", line: "deployment/web: revision 2 failed: pod/web-x is CrashLoopBackOff; rolled back (revision 3)" },
    },
    {
      name: "stopped where it stood: failed",
      status: status({ state: "Failed", message: "pod/web-x is ErrImagePull" }),
      expected: { revision: 2, outcome: "failed", line: "deployment/web: pod/web-x is ErrImagePull; the rollout stopped" },
    },
    {
      name: "superseded by a newer revision (not a rollback of it): follows the newer one",
      followed: 1,
      status: status({ revision: 2 }, { updated: 0 }),
      expected: { revision: 2, line: "Waiting for deployment/web (revision 2) to roll out: 0 of 3 new replicas created…" },
    },
  ];
  for (const c of cases) it(c.name, () => expect(rolloutProgress("web", c.followed ?? 2, c.status)).to.deep.equal(c.expected));
});
