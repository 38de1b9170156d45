import { expect } from "chai";
import { admissionProblems } from "../../src/leader/pod-admission.js";
import type { PodSpec } from "../../src/shared/domain.js";

const base: PodSpec = { containers: [{ name: "app", image: "app:1" }], restartPolicy: "Always", terminationGracePeriodSeconds: 10 } as PodSpec;
const risky: PodSpec = { ...base, hostNetwork: true, volumes: [{ name: "logs", hostPath: { path: "/var/log" } }] } as PodSpec;

describe("admissionProblems", () => {
  it("admits a pod that asks nothing of its node", () => {
    expect(admissionProblems(base, "spec", { allowHostPaths: false, allowHostNetwork: false, allowCapabilities: false })).to.deep.equal([]);
  });

  it("refuses host paths and the host's network unless the leader allows each, saying where and why", () => {
    expect(admissionProblems(risky, "spec", { allowHostPaths: false, allowHostNetwork: false, allowCapabilities: false })).to.deep.equal([
      "spec.volumes[0].hostPath: refused: this leader does not allow host paths (a host path is root on the node; start it with --allow-host-paths)",
      "spec.hostNetwork: refused: this leader does not allow pods on their node's network (such a pod can listen on the node's addresses and see its traffic; start the leader with --allow-host-network)",
    ]);
    expect(admissionProblems(risky, "spec", { allowHostPaths: true, allowHostNetwork: false, allowCapabilities: false })).to.have.length(1);
    expect(admissionProblems(risky, "spec", { allowHostPaths: true, allowHostNetwork: true, allowCapabilities: false })).to.deep.equal([]);
  });

  it("admits dropping capabilities and adding back Docker's defaults; refuses more unless the leader allows it", () => {
    const withCapabilities = (add: string[]) =>
      ({ ...base, containers: [{ name: "app", image: "app:1", env: {}, securityContext: { capabilities: { drop: ["ALL"], add } } }] }) as PodSpec;
    const policy = { allowHostPaths: false, allowHostNetwork: false, allowCapabilities: false };
    expect(admissionProblems(withCapabilities(["NET_BIND_SERVICE", "CAP_CHOWN"]), "spec", policy)).to.deep.equal([]);
    expect(admissionProblems(withCapabilities(["NET_ADMIN", "CHOWN"]), "spec", policy)).to.deep.equal([
      "spec.containers[0].securityContext.capabilities.add: refused: NET_ADMIN is beyond Docker's default capabilities, which this leader does not allow (it gives power over the node; start the leader with --allow-capabilities)",
    ]);
    expect(admissionProblems(withCapabilities(["NET_ADMIN"]), "spec", { ...policy, allowCapabilities: true })).to.deep.equal([]);
  });
});
