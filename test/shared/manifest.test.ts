import { expect } from "chai";
import type { PodResource } from "../../src/shared/domain.js";
import { MANIFEST_LIMITS } from "../../src/shared/manifest-limits.js";
import { deploymentSchema, formatPath, parseManifest, validateManifest } from "../../src/shared/manifest.js";

const seedPod = {
  type: "pod",
  metadata: { name: "my-pod", labels: { app: "my-app" } },
  spec: { containers: [{ name: "my-container", image: "nginx:latest", env: { ENV_VAR1: "value1", ENV_VAR2: "value2" } }] },
};

/** The seed's pod with `change` applied to a deep copy. */
function pod(change: (p: any) => void = () => {}): any {
  const copy = structuredClone(seedPod);
  change(copy);
  return copy;
}

const problemsOf = (document: unknown) => {
  const result = validateManifest(document);
  if (result.ok) throw new Error("accepted an invalid manifest");
  return result.problems;
};

describe("validateManifest", () => {
  it("accepts the seed's manifest as written, filling in defaults", () => {
    const result = validateManifest([seedPod]);
    expect(result).to.deep.equal({
      ok: true,
      entries: [
        {
          resource: {
            type: "pod",
            metadata: { name: "my-pod", labels: { app: "my-app" } },
            spec: {
              containers: [{ name: "my-container", image: "nginx:latest", env: { ENV_VAR1: "value1", ENV_VAR2: "value2" } }],
              restartPolicy: "Always",
              terminationGracePeriodSeconds: 10,
            },
          },
          source: seedPod,
        },
      ],
    });
  });

  it("accepts a single object as well as a list, with paths from the object", () => {
    expect(validateManifest(seedPod).ok).to.equal(true);
    expect(problemsOf(pod((p) => delete p.spec.containers[0].image))).to.deep.equal(["spec.containers[0].image: required"]);
  });

  it("requires a type and names the supported ones when it is unknown", () => {
    expect(problemsOf([pod((p) => delete p.type)])).to.deep.equal(["[0].type: required (supported types: pod, deployment, service, secret, config)"]);
    expect(problemsOf([pod((p) => (p.type = "volume"))])).to.deep.equal([
      '[0].type: unknown type "volume" (supported types: pod, deployment, service, secret, config)',
    ]);
  });

  it("requires metadata.name to be a DNS label", () => {
    expect(problemsOf([pod((p) => delete p.metadata.name)])).to.deep.equal(["[0].metadata.name: required"]);
    for (const bad of ["My-Pod", "-pod", "pod-", "a_b", "a".repeat(64), ""]) {
      expect(problemsOf([pod((p) => (p.metadata.name = bad))])[0], bad).to.match(/^\[0\]\.metadata\.name: must be a DNS label/);
    }
    expect(validateManifest([pod((p) => (p.metadata.name = "a".repeat(63)))]).ok).to.equal(true);
  });

  it("requires labels to map strings to strings", () => {
    expect(problemsOf([pod((p) => (p.metadata.labels = { app: 3 }))])).to.deep.equal(["[0].metadata.labels.app: must be a string"]);
    expect(problemsOf([pod((p) => (p.metadata.labels = ["app"]))])).to.deep.equal(["[0].metadata.labels: must be an object"]);
    expect(problemsOf([pod((p) => (p.metadata.labels = { "bad key!": "x" }))])[0]).to.match(/^\[0\]\.metadata\.labels\.bad key!: must be a label key/);
  });

  it("requires at least one container, with unique names that are DNS labels", () => {
    expect(problemsOf([pod((p) => (p.spec.containers = []))])).to.deep.equal(["[0].spec.containers: must list at least one container"]);
    expect(problemsOf([pod((p) => delete p.spec.containers)])).to.deep.equal(["[0].spec.containers: required"]);
    expect(problemsOf([pod((p) => p.spec.containers.push({ name: "my-container", image: "busybox" }))])).to.deep.equal([
      '[0].spec.containers[1].name: duplicate container name "my-container" (also at containers[0])',
    ]);
    expect(problemsOf([pod((p) => (p.spec.containers[0].name = "Web"))])[0]).to.match(/^\[0\]\.spec\.containers\[0\]\.name: must be a DNS label/);
  });

  it("requires a valid Docker image reference", () => {
    for (const good of ["busybox", "nginx:1.27", "localhost:5000/team/app:v1", "cube-test/busybox:latest", `alpine@sha256:${"a".repeat(64)}`]) {
      expect(validateManifest([pod((p) => (p.spec.containers[0].image = good))]).ok, good).to.equal(true);
    }
    for (const bad of ["", "UPPER", "nginx:", "a b", "--privileged", "nginx:latest; rm -rf /"]) {
      expect(problemsOf([pod((p) => (p.spec.containers[0].image = bad))])[0], bad).to.match(/^\[0\]\.spec\.containers\[0\]\.image: /);
    }
  });

  it("requires env to map valid names to strings", () => {
    expect(problemsOf([pod((p) => (p.spec.containers[0].env = { PORT: 80 }))])).to.deep.equal([
      "[0].spec.containers[0].env.PORT: must be a string, {secretKeyRef: {name, key}} or {configKeyRef: {name, key}}",
    ]);
    expect(problemsOf([pod((p) => (p.spec.containers[0].env = { "A=B": "x" }))])[0]).to.match(/env\.A=B: must be a valid environment variable name/);
  });

  it("accepts command and args as lists of strings", () => {
    const result = validateManifest([pod((p) => Object.assign(p.spec.containers[0], { command: ["sh", "-c"], args: ["echo hi"] }))]);
    expect(result.ok && (result.entries[0].resource as PodResource).spec.containers[0]).to.include.keys("command", "args");
    expect(problemsOf([pod((p) => (p.spec.containers[0].command = "sh -c"))])).to.deep.equal(["[0].spec.containers[0].command: must be a list"]);
  });

  it("rejects unknown fields, so that a typo is not silently ignored", () => {
    expect(problemsOf([pod((p) => (p.spec.contianers = []))])).to.deep.equal(['[0].spec: unknown field "contianers"']);
  });

  it("rejects two resources of the same type and name", () => {
    expect(problemsOf([seedPod, seedPod])).to.deep.equal(["[1].metadata.name: pod/my-pod appears twice in the manifest (also at [0])"]);
  });

  it("reports every problem of every resource at once, and returns no resource", () => {
    const result = validateManifest([
      seedPod,
      pod((p) => {
        p.metadata.name = "second";
        delete p.spec.containers[0].image;
      }),
      { type: "pod", metadata: {}, spec: { containers: [{ name: "x" }] } },
    ]);
    expect(result).to.deep.equal({
      ok: false,
      problems: ["[1].spec.containers[0].image: required", "[2].metadata.name: required", "[2].spec.containers[0].image: required"],
    });
  });

  it("rejects an empty list, and what is not an object", () => {
    expect(problemsOf([])).to.deep.equal(["the manifest lists no resource"]);
    expect(problemsOf([42])).to.deep.equal(['[0]: must be an object with a "type"']);
  });

  it("reports text that is not JSON", () => {
    expect(parseManifest("[{")).to.deep.include({ ok: false });
    const result = parseManifest("[{");
    expect(!result.ok && result.problems[0]).to.match(/^the manifest is not valid JSON: /);
  });
});

describe("validateManifest: restart settings", () => {
  it("accepts a restart policy and per-pod restart settings", () => {
    const result = validateManifest([
      pod((p) => Object.assign(p.spec, { restartPolicy: "OnFailure", restart: { maxFailures: 3, initialBackoffSeconds: 0.5 } })),
    ]);
    expect(result.ok && (result.entries[0].resource as PodResource).spec).to.deep.include({
      restartPolicy: "OnFailure",
      restart: { maxFailures: 3, initialBackoffSeconds: 0.5 },
    });
  });

  it("rejects an unknown policy and bad settings", () => {
    expect(problemsOf([pod((p) => (p.spec.restartPolicy = "Sometimes"))])[0]).to.match(/^\[0\]\.spec\.restartPolicy: /);
    expect(problemsOf([pod((p) => (p.spec.restart = { maxFailures: 0, backoff: 1 }))]).sort()).to.deep.equal([
      "[0].spec.restart.maxFailures: must be at least 1",
      '[0].spec.restart: unknown field "backoff"',
    ]);
  });

  it("refuses odd values: a back-off too short to be one, a __proto__ key anywhere", () => {
    expect(problemsOf([pod((p) => (p.spec.restart = { initialBackoffSeconds: 1e-9, resetAfterSeconds: 0.5 }))]).sort()).to.deep.equal([
      "[0].spec.restart.initialBackoffSeconds: must be at least 0.1",
      "[0].spec.restart.resetAfterSeconds: must be at least 1",
    ]);
    const withProto = JSON.parse('[{"type":"pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x","env":{"A":"1","__proto__":"v"}}]}}]');
    expect(problemsOf(withProto)).to.deep.equal(['[0].spec.containers[0].env.__proto__: "__proto__" is not allowed as a name']);
    const inLabels = JSON.parse('{"type":"pod","metadata":{"name":"p","labels":{"__proto__":"x"}},"spec":{"containers":[{"name":"a","image":"x"}]}}');
    expect(problemsOf(inLabels)).to.deep.equal(['metadata.labels.__proto__: "__proto__" is not allowed as a name']);
  });

  it("states its limits and refuses what exceeds them, naming the limit", () => {
    const { resourcesPerApply, resourceBytes, containersPerPod, listEntries } = MANIFEST_LIMITS;
    const containers = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `c${i}`, image: "app:1" }));
    expect(validateManifest([pod((p) => (p.spec.containers = containers(containersPerPod)))]).ok).to.equal(true);
    expect(problemsOf([pod((p) => (p.spec.containers = containers(containersPerPod + 1)))])).to.deep.equal([
      `[0].spec.containers: at most ${containersPerPod} containers per pod (Cube's limit)`,
    ]);
    expect(problemsOf([pod((p) => (p.spec.containers[0].args = Array(listEntries + 1).fill("x")))])).to.deep.equal([
      `[0].spec.containers[0].args: at most ${listEntries} entries (Cube's limit)`,
    ]);
    const manyVariables = Object.fromEntries(Array.from({ length: listEntries + 1 }, (_, i) => [`V${i}`, "x"]));
    expect(problemsOf([pod((p) => (p.spec.containers[0].env = manyVariables))])).to.deep.equal([
      `[0].spec.containers[0].env: at most ${listEntries} variables (Cube's limit)`,
    ]);
    expect(problemsOf([pod((p) => (p.spec.containers[0].env = { BIG: "x".repeat(resourceBytes) }))])).to.deep.equal([
      "[0]: is 1.0 MiB as JSON: at most 1 MiB per pod (Cube's limit)",
    ]);
    const tooMany = Array.from({ length: resourcesPerApply + 1 }, (_, i) => pod((p) => (p.metadata.name = `p${i}`)));
    expect(problemsOf(tooMany)).to.deep.equal([`the manifest lists ${resourcesPerApply + 1} resources: at most ${resourcesPerApply} per apply (split it)`]);
    // What one request carries: refused before it is parsed, or sent.
    expect(parseManifest(" ".repeat(5 * 1024 * 1024))).to.deep.equal({ ok: false, problems: ["the manifest is 5.0 MiB: at most 4 MiB per apply (split it)"] });
  });
});

describe("validateManifest: ports, volumes, resources, node selection", () => {
  const container = (fields: object) => pod((p) => Object.assign(p.spec.containers[0], fields));
  const specOf = (document: unknown) => {
    const result = validateManifest(document);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    return (result.entries[0].resource as PodResource).spec;
  };

  it("leaves a pod without them exactly as before (its spec hash does not change)", () => {
    const spec = specOf(seedPod);
    for (const field of ["volumes", "nodeSelector"]) expect(spec).not.to.have.property(field);
    for (const field of ["ports", "volumeMounts", "resources"]) expect(spec.containers[0]).not.to.have.property(field);
  });

  it("accepts published ports, fixed or auto, TCP by default, in either case of protocol", () => {
    const spec = specOf(
      container({
        ports: [
          { containerPort: 80, hostPort: 8080 },
          { containerPort: 53, protocol: "UDP", hostPort: "auto" },
          { containerPort: 9000, hostIP: "127.0.0.1", hostPort: 9000 },
        ],
      }),
    );
    expect(spec.containers[0].ports).to.deep.equal([
      { containerPort: 80, hostPort: 8080, protocol: "tcp" },
      { containerPort: 53, hostPort: "auto", protocol: "udp" },
      { containerPort: 9000, hostPort: 9000, protocol: "tcp", hostIP: "127.0.0.1" },
    ]);
  });

  it("refuses bad ports, each with its path", () => {
    const at = "spec.containers[0].ports";
    expect(problemsOf(container({ ports: [{ containerPort: 0 }] }))).to.deep.equal([`${at}[0].containerPort: must be at least 1`]);
    expect(problemsOf(container({ ports: [{ containerPort: 80, hostPort: 70000 }] }))).to.deep.equal([`${at}[0].hostPort: must be at most 65535`]);
    expect(problemsOf(container({ ports: [{ containerPort: 80, protocol: "sctp" }] }))[0]).to.match(/^spec\.containers\[0\]\.ports\[0\]\.protocol: /);
    expect(problemsOf(container({ ports: [{ containerPort: 80, hostIP: "my-host" }] }))).to.deep.equal([`${at}[0].hostIP: must be an IP address`]);
    expect(problemsOf(container({ ports: [{ containerPort: 80 }, { containerPort: 80, protocol: "tcp" }] }))).to.deep.equal([
      `${at}[1].containerPort: duplicate port "80/tcp" (also at ports[0])`,
    ]);
    const twice = pod((p) => {
      p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
      p.spec.containers.push({ name: "other", image: "nginx", ports: [{ containerPort: 81, hostPort: 8080 }] });
    });
    expect(problemsOf(twice)).to.deep.equal(["spec.containers[1].ports[0].hostPort: host port 8080/tcp is published twice (also at containers[0].ports[0])"]);
  });

  it("accepts volumes of the three kinds and mounts that name them", () => {
    const spec = specOf(
      pod((p) => {
        p.spec.volumes = [
          { name: "scratch", emptyDir: {} },
          { name: "data", persistent: {} },
          { name: "logs", hostPath: { path: "/var/log" } },
        ];
        p.spec.containers[0].volumeMounts = [
          { name: "data", mountPath: "/var/lib/db" },
          { name: "logs", mountPath: "/host-logs", readOnly: true },
        ];
      }),
    );
    expect(spec.volumes).to.have.length(3);
    expect(spec.containers[0].volumeMounts).to.deep.equal([
      { name: "data", mountPath: "/var/lib/db", readOnly: false },
      { name: "logs", mountPath: "/host-logs", readOnly: true },
    ]);
  });

  it("refuses a volume of no kind or two, a mount of an unknown volume, a relative path, a path mounted twice", () => {
    const volumes = (list: unknown[], mounts: unknown[] = []) =>
      pod((p) => {
        p.spec.volumes = list;
        p.spec.containers[0].volumeMounts = mounts;
      });
    expect(problemsOf(volumes([{ name: "a" }]))).to.deep.equal(["spec.volumes[0]: must be one of emptyDir, persistent, hostPath, secret, config"]);
    expect(problemsOf(volumes([{ name: "a", emptyDir: {}, persistent: {} }]))).to.deep.equal([
      "spec.volumes[0]: must be one of emptyDir, persistent, hostPath, secret, config",
    ]);
    expect(
      problemsOf(
        volumes([
          { name: "a", emptyDir: {} },
          { name: "a", persistent: {} },
        ]),
      ),
    ).to.deep.equal(['spec.volumes[1].name: duplicate volume name "a" (also at volumes[0])']);
    expect(problemsOf(volumes([{ name: "a", hostPath: { path: "data" } }]))).to.deep.equal(["spec.volumes[0].hostPath.path: must be an absolute path"]);
    expect(problemsOf(volumes([{ name: "a", emptyDir: {} }], [{ name: "b", mountPath: "/b" }]))).to.deep.equal([
      'spec.containers[0].volumeMounts[0].name: no volume "b" in spec.volumes',
    ]);
    expect(
      problemsOf(
        volumes(
          [{ name: "a", emptyDir: {} }],
          [
            { name: "a", mountPath: "/x" },
            { name: "a", mountPath: "/x" },
          ],
        ),
      ),
    ).to.deep.equal(['spec.containers[0].volumeMounts[1].mountPath: duplicate mount path "/x" (also at volumeMounts[0])']);
  });

  it("accepts CPU and memory amounts as Kubernetes writes them, and refuses others", () => {
    expect(specOf(container({ resources: { cpu: "500m", memory: "256Mi" } })).containers[0].resources).to.deep.equal({ cpu: "500m", memory: "256Mi" });
    expect(specOf(container({ resources: { cpu: 0.25, memory: "1Gi" } })).containers[0].resources).to.deep.equal({ cpu: 0.25, memory: "1Gi" });
    expect(problemsOf(container({ resources: { cpu: "half" } }))).to.deep.equal([
      'spec.containers[0].resources.cpu: must be a CPU amount above 0: 0.5 or "500m"',
    ]);
    expect(problemsOf(container({ resources: { cpu: 0 } }))).to.deep.equal(['spec.containers[0].resources.cpu: must be a CPU amount above 0: 0.5 or "500m"']);
    expect(problemsOf(container({ resources: { memory: "1MB" } }))).to.deep.equal([
      `spec.containers[0].resources.memory: must be a memory amount of at least 4Mi (Docker's minimum): "256Mi", "1Gi"`,
    ]);
    expect(problemsOf(container({ resources: { memory: "1Ki" } }))).to.have.length(1);
    expect(problemsOf(container({ resources: { gpu: 1 } }))).to.deep.equal(['spec.containers[0].resources: unknown field "gpu"']);
  });

  it("accepts a node selector of labels", () => {
    expect(specOf(pod((p) => (p.spec.nodeSelector = { zone: "a", "cube.dev/disk": "ssd" }))).nodeSelector).to.deep.equal({ zone: "a", "cube.dev/disk": "ssd" });
    expect(problemsOf(pod((p) => (p.spec.nodeSelector = { zone: 1 })))).to.deep.equal(["spec.nodeSelector.zone: must be a string"]);
  });

  it("accepts a hostname that is a DNS label, and nothing else", () => {
    expect(specOf(pod((p) => (p.spec.hostname = "db-0"))).hostname).to.equal("db-0");
    expect(problemsOf(pod((p) => (p.spec.hostname = "DB_0")))).to.deep.equal([
      "spec.hostname: must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    ]);
  });

  it("reads dependsOn (Started unless said), and refuses a workload that waits for itself, a condition it does not know, a name twice", () => {
    expect(specOf(pod((p) => (p.spec.dependsOn = [{ name: "db" }, { name: "migrate", condition: "Succeeded" }]))).dependsOn).to.deep.equal([
      { name: "db", condition: "Started" },
      { name: "migrate", condition: "Succeeded" },
    ]);
    expect(problemsOf(pod((p) => (p.spec.dependsOn = [{ name: "my-pod" }])))).to.deep.equal(["spec.dependsOn[0].name: a workload cannot wait for itself"]);
    const web = { type: "deployment", metadata: { name: "web" }, spec: { template: { spec: { ...seedPod.spec, dependsOn: [{ name: "web" }] } } } };
    expect(problemsOf(web)).to.deep.equal(["spec.template.spec.dependsOn[0].name: a workload cannot wait for itself"]);
    expect(problemsOf(pod((p) => (p.spec.dependsOn = [{ name: "db", condition: "Healthy" }])))[0]).to.match(/^spec\.dependsOn\[0\]\.condition: /);
    expect(problemsOf(pod((p) => (p.spec.dependsOn = [{ name: "db" }, { name: "db" }])))[0]).to.match(/^spec\.dependsOn\[1\]\.name: /);
  });
});

describe("validateManifest: probes", () => {
  const withProbe = (kind: string, probe: unknown) => pod((p) => (p.spec.containers[0][kind] = probe));
  const specOf = (document: unknown) => {
    const result = validateManifest(document);
    if (!result.ok) throw new Error(result.problems.join("\n"));
    return (result.entries[0].resource as PodResource).spec;
  };

  it("accepts each kind with Kubernetes' defaults", () => {
    expect(specOf(withProbe("livenessProbe", { httpGet: { port: 8080 } })).containers[0].livenessProbe).to.deep.equal({
      httpGet: { path: "/", port: 8080, scheme: "HTTP" },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(specOf(withProbe("readinessProbe", { exec: { command: ["cat", "/ready"] }, successThreshold: 2 })).containers[0].readinessProbe).to.include({
      successThreshold: 2,
    });
    expect(specOf(withProbe("startupProbe", { tcpSocket: { port: 5432 }, failureThreshold: 30 })).containers[0].startupProbe).to.include({
      failureThreshold: 30,
    });
  });

  it("refuses a probe of no kind or two, a liveness probe needing two successes, bad numbers", () => {
    const at = "spec.containers[0]";
    expect(problemsOf(withProbe("livenessProbe", {}))).to.deep.equal([`${at}.livenessProbe: must be one of exec, httpGet, tcpSocket`]);
    expect(problemsOf(withProbe("livenessProbe", { exec: { command: ["true"] }, tcpSocket: { port: 1 } }))).to.deep.equal([
      `${at}.livenessProbe: must be one of exec, httpGet, tcpSocket`,
    ]);
    expect(problemsOf(withProbe("livenessProbe", { exec: { command: ["true"] }, successThreshold: 2 }))).to.deep.equal([
      `${at}.livenessProbe.successThreshold: must be 1 for a liveness probe`,
    ]);
    expect(problemsOf(withProbe("readinessProbe", { httpGet: { port: 80, path: "health" } }))).to.deep.equal([
      `${at}.readinessProbe.httpGet.path: must start with /`,
    ]);
    expect(problemsOf(withProbe("readinessProbe", { tcpSocket: { port: 80 }, periodSeconds: 0 }))).to.deep.equal([
      `${at}.readinessProbe.periodSeconds: must be at least 1`,
    ]);
    expect(problemsOf(withProbe("startupProbe", { exec: { command: [] } }))).to.deep.equal([`${at}.startupProbe.exec.command: must not be empty`]);
  });
});

describe("deploymentSchema", () => {
  const deployment = (spec: object) => ({ type: "deployment", metadata: { name: "web" }, spec: { template: { spec: seedPod.spec }, ...spec } });
  const issues = (document: unknown) => {
    const parsed = deploymentSchema.safeParse(document);
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  };

  it("fills in Kubernetes' defaults", () => {
    const parsed = deploymentSchema.parse(deployment({}));
    expect(parsed.spec).to.deep.include({ replicas: 1, minReadySeconds: 0, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, autoRollback: true });
    expect(parsed.spec.strategy).to.deep.equal({ type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
    expect(parsed.spec.template.metadata).to.deep.equal({ labels: {} });
  });

  it("refuses bad bounds, both bounds at 0, and a template that is not a valid pod spec", () => {
    expect(issues(deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "lots" } } }))[0]).to.match(
      /^spec\.strategy\.rollingUpdate\.maxSurge: /,
    );
    expect(issues(deployment({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }))).to.deep.equal([
      "spec.strategy: maxSurge and maxUnavailable cannot both be 0: the rollout could never start",
    ]);
    expect(issues(deployment({ replicas: -1 }))[0]).to.match(/^spec\.replicas: /);
    expect(issues({ type: "deployment", metadata: { name: "web" }, spec: { template: { spec: { containers: [] } } } })).to.deep.equal([
      "spec.template.spec.containers: must list at least one container",
    ]);
  });
});
