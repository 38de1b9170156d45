import { expect } from "chai";
import { parseManifest, validateManifest } from "../../src/shared/manifest.js";

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
    expect(problemsOf([pod((p) => delete p.type)])).to.deep.equal(["[0].type: required (supported types: pod)"]);
    expect(problemsOf([pod((p) => (p.type = "deployment"))])).to.deep.equal(['[0].type: unknown type "deployment" (supported types: pod)']);
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
    expect(problemsOf([pod((p) => (p.spec.containers[0].env = { PORT: 80 }))])).to.deep.equal(["[0].spec.containers[0].env.PORT: must be a string"]);
    expect(problemsOf([pod((p) => (p.spec.containers[0].env = { "A=B": "x" }))])[0]).to.match(/env\.A=B: must be a valid environment variable name/);
  });

  it("accepts command and args as lists of strings", () => {
    const result = validateManifest([pod((p) => Object.assign(p.spec.containers[0], { command: ["sh", "-c"], args: ["echo hi"] }))]);
    expect(result.ok && result.entries[0].resource.spec.containers[0]).to.include.keys("command", "args");
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
    expect(result.ok && result.entries[0].resource.spec).to.deep.include({
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
});
