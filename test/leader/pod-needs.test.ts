import { expect } from "chai";
import { keptPlacement } from "../../src/leader/pod-needs.js";
import type { PodSpec, PublishedPort } from "../../src/shared/domain.js";

/** A pod of one container publishing port 80 on `hostPort`, with `change` applied to the container. */
const spec = (hostPort: number | "auto" = "auto", change: Partial<PodSpec["containers"][number]> = {}): PodSpec => ({
  containers: [{ name: "web", image: "nginx:1", env: {}, ports: [{ containerPort: 80, hostPort, protocol: "tcp" }], ...change }],
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 30,
});
const port = (hostPort: number, containerPort = 80): PublishedPort => ({ container: "web", containerPort, protocol: "tcp", hostAddress: "", hostPort });

describe("keptPlacement: whether a changed pod keeps its node and ports", () => {
  const before = { spec: spec(), hostPorts: [port(30007)] };
  const cases: { name: string; node?: string; after: PodSpec; expected: PublishedPort[] | undefined }[] = [
    { name: "a new image, the same needs: kept, with its auto port", node: "n1", after: spec("auto", { image: "nginx:2" }), expected: [port(30007)] },
    { name: "not placed: nothing to keep", node: undefined, after: spec("auto", { image: "nginx:2" }), expected: undefined },
    { name: "more CPU asked: placed anew", node: "n1", after: spec("auto", { resources: { cpu: "500m" } }), expected: undefined },
    { name: "a fixed port instead of auto: placed anew", node: "n1", after: spec(8080), expected: undefined },
    {
      name: "a node selector added: placed anew",
      node: "n1",
      after: { ...spec("auto", { image: "nginx:2" }), nodeSelector: { disk: "ssd" } },
      expected: undefined,
    },
  ];
  for (const { name, node, after, expected } of cases) it(name, () => expect(keptPlacement(node, before, after)).to.deep.equal(expected));
});
