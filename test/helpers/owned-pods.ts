import type { DeploymentIntent, OwnedPod } from "../../src/leader/deployments/plan-deployment.js";

/** The "now" of the deployment tables. */
export const NOW = 1_000_000;

/** A deployment of 3 replicas of template "new", with Kubernetes' default bounds, unless told otherwise. */
export const intent = (change: Partial<DeploymentIntent> = {}): DeploymentIntent => ({
  replicas: 3,
  templateHash: "new",
  strategy: { type: "RollingUpdate", maxSurge: "25%", maxUnavailable: "25%" },
  minReadySeconds: 0,
  ...change,
});

/** Pods `HASH-0…` of a template: running and ready for a minute unless told otherwise, created a second apart. */
export const pods = (count: number, hash: string, change: Partial<OwnedPod> = {}): OwnedPod[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `${hash}-${i}`,
    templateHash: hash,
    createdAt: NOW - 100_000 + i * 1000,
    readySince: NOW - 60_000,
    deleting: false,
    evicting: false,
    phase: "Running",
    ...change,
  }));
