import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, runProgram } from "../helpers/processes.js";

const run = promisify(execFile);
const IMAGE = "cube-test/busybox:latest";
const SERVE = (script = "true") => ["sh", "-c", `trap 'exit 0' TERM; ${script}; while true; do sleep 1; done`];

/**
 * What a day of real use found, each through the real `cube` binary, on a local cluster as people try Cube first: a
 * leader and two followers on this machine, sharing its one Docker engine.
 */
describe("real use: stdin, rollouts that fail, node removal, ports on a shared engine, drains", function () {
  this.timeout(240_000);
  const cluster = new LocalCluster(2);
  const prefix = `u${Math.random().toString(36).slice(2, 6)}`;
  const nodes = { leader: `${prefix}-main`, first: `${prefix}-f1`, second: `${prefix}-f2` };
  const cube = [process.execPath, join(projectRoot, "bin", "run.js")].join(" ");
  /** A shell command line, with `cube` meaning the CLI of this cluster. */
  const shell = (script: string, stdin?: string) => runProgram("bash", ["-c", `cube() { ${cube} "$@"; }; ${script}`], cluster.cliEnv(), stdin);
  const manifest = (name: string, resources: unknown) => {
    const path = join(cluster.dir.path, `${name}.json`);
    writeFileSync(path, JSON.stringify(resources));
    return path;
  };
  const pod = (name: string, spec: object) => ({ type: "pod", metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } });
  const listed = async () => JSON.parse(await cluster.cubeOk("list", "pod", "-o", "json")) as { name: string; status: string; node?: string }[];

  before(async () => {
    await cluster.startLeader(nodes.leader);
    cluster.startFollower(nodes.first, { extraArgs: ["--label", "disk=first"] });
    cluster.startFollower(nodes.second);
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(() => cluster.stop());

  it("reads a manifest from standard input in every form, and never takes stdin for an argument", async () => {
    const file = manifest("stdin", pod("from-stdin", { containers: [{ name: "main", image: IMAGE, command: SERVE() }] }));
    expect((await shell(`cube apply -f - < ${file}`)).stdout).to.equal("pod/from-stdin created\n");
    expect((await shell(`cat ${file} | cube apply -f -`)).stdout).to.equal("pod/from-stdin unchanged\n");
    expect((await shell(`cube apply - < ${file}`)).stdout).to.equal("pod/from-stdin unchanged\n");
    const piped = await shell("echo x | cube list pod");
    expect(piped.code, piped.stderr).to.equal(0);
    expect(piped.stdout).to.match(/^from-stdin /m);
    // In a while-read loop, cube must leave the loop's input alone.
    const loop = await shell("printf 'a\\nb\\nc\\n' | while read line; do cube list pod > /dev/null; echo \"$line\"; done");
    expect(loop.stdout).to.equal("a\nb\nc\n");
    await cluster.cubeOk("delete", "pod/from-stdin", "--no-wait");
  });

  it("says a rollout failed when it was rolled back, whenever it looks, and undo never brings the broken revision back", async () => {
    const deployment = (version: string, ready: boolean) => ({
      type: "deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        progressDeadlineSeconds: 6,
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: "main",
                image: IMAGE,
                env: { VERSION: version },
                command: SERVE(),
                readinessProbe: { exec: { command: ["sh", "-c", ready ? "true" : "false"] }, periodSeconds: 1, failureThreshold: 1 },
              },
            ],
          },
        },
      },
    });
    await cluster.cubeOk("apply", manifest("web-v1", deployment("v1", true)));
    expect(await cluster.cubeOk("rollout", "status", "deployment/web", "--timeout", "60s")).to.match(/successfully rolled out \(revision 1\)\n$/);
    // As a user does: apply a broken template and follow it.
    const followed = await shell(`cube apply -f ${manifest("web-v2", deployment("v2", false))} && cube rollout status deploy/web --timeout 60s`);
    expect(followed.code, followed.stdout + followed.stderr).to.equal(1);
    expect(followed.stdout).to.match(/deployment\/web: revision 2 failed: .*; rolled back \(revision 3\)\n$/);
    // Asked again later, after the rollback completed: still the failure, not "successfully rolled out".
    const later = await cluster.cube(["rollout", "status", "deployment/web"]);
    expect(later.code).to.equal(1);
    expect(later.stdout).to.match(/revision 2 failed: .*; rolled back \(revision 3\)\n$/);
    // The one before the current is the broken one: undo refuses rather than bring it back.
    const undo = await cluster.cube(["rollout", "undo", "deployment/web"]);
    expect(undo.code).to.equal(1);
    expect(undo.stderr).to.match(/^error: deployment\/web has no revision before 3 that completed, to go back to/);
    await cluster.cubeOk("delete", "deployment/web");
  });

  it("refuses to remove a node that holds persistent data unless forced, and then says in the pod's events where the data stayed", async () => {
    await cluster.apply(
      "db",
      pod("db", {
        nodeSelector: { disk: "first" },
        volumes: [{ name: "data", persistent: {} }],
        containers: [{ name: "main", image: IMAGE, command: SERVE(), volumeMounts: [{ name: "data", mountPath: "/data" }] }],
      }),
    );
    expect((await cluster.waitForPodStatus("db", "Running")).node).to.equal(nodes.first);
    const refused = await cluster.cube(["node", "rm", nodes.first]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal(
      `error: node ${nodes.first} holds the persistent volumes of pod/db (data): removed, those pods would start on other nodes with new, empty volumes while their data stays on ${nodes.first}; move the data first, or remove the node anyway with --force\n`,
    );
    expect((await cluster.nodes()).map((node) => node.name)).to.include(nodes.first);
    expect(await cluster.cubeOk("node", "rm", nodes.first, "--force")).to.equal(`node/${nodes.first} removed (1 pod to move to other nodes)\n`);
    const events = (await cluster.pod("db")).events;
    expect(events.map((e) => `${e.reason}: ${e.message}`)).to.include(
      `DataLeftBehind: its node ${nodes.first} was removed by an admin: the data of its persistent volumes (data) stayed on that machine; the pod starts elsewhere with new, empty ones`,
    );
    await cluster.cubeOk("delete", "pod/db", "--purge", "--no-wait");
  });

  it("gives nodes that share one engine one set of host ports, and fails a pod whose host port something else holds", async () => {
    const published = (name: string, hostPort: number | "auto") =>
      pod(name, { containers: [{ name: "main", image: IMAGE, command: SERVE(), ports: [{ containerPort: 80, hostPort }] }] });
    await cluster.cubeOk(
      "apply",
      manifest("ports", [published("fixed-a", 28080), published("fixed-b", 28080), published("auto-a", "auto"), published("auto-b", "auto")]),
    );
    await eventually(
      "the pods placed",
      async () => ((await listed()).filter((p) => ["fixed-a", "auto-a", "auto-b"].includes(p.name) && p.status === "Running").length === 3 ? true : undefined),
      60_000,
    );
    const waiting = await cluster.pod("fixed-b");
    expect(waiting.status).to.equal("Pending");
    expect(waiting.events.at(-1)!.message).to.match(/^cannot place pod\/fixed-b: host port 28080\/tcp is taken on \d of \d nodes$/);
    const autoPorts = await Promise.all(["auto-a", "auto-b"].map(async (name) => (await cluster.pod(name)).ports[0].hostPort));
    expect(autoPorts[0]).to.not.equal(autoPorts[1]);
    // A port held outside Cube: the engine refuses the sandbox's start; counted, backed off, then Failed.
    const squatter = `squatter-${prefix}`;
    await run("docker", ["run", "-d", "--name", squatter, "-p", "28090:80", "--label", `cube-test=${prefix}`, IMAGE, "sleep", "600"]);
    try {
      await cluster.apply(
        "taken",
        pod("taken", {
          restart: { initialBackoffSeconds: 1, maxFailures: 2 },
          containers: [{ name: "main", image: IMAGE, command: SERVE(), ports: [{ containerPort: 80, hostPort: 28090 }] }],
        }),
      );
      const failed = await cluster.waitForPodStatus("taken", "Failed", 60_000);
      expect(failed.message).to.match(
        /^creating container main failed 2 times in a row \(the pod's sandbox did not start: .*port is already allocated.*, reason CreateContainerError\); giving up$/,
      );
    } finally {
      await run("docker", ["rm", "-f", squatter]);
    }
    for (const name of ["fixed-a", "fixed-b", "auto-a", "auto-b", "taken"]) await cluster.cubeOk("delete", `pod/${name}`, "--no-wait");
  });

  it("names at once the pods a drain cannot move (a deployment whose rollout stopped), and does not wait for them", async () => {
    await cluster.cubeOk(
      "apply",
      manifest("stuck", {
        type: "deployment",
        metadata: { name: "stuck" },
        spec: {
          replicas: 1,
          autoRollback: false,
          progressDeadlineSeconds: 3,
          template: {
            metadata: { labels: { app: "stuck" } },
            spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: "cube-test/not-here:1" }] },
          },
        },
      }),
    );
    const stopped = await cluster.cube(["rollout", "status", "deployment/stuck", "--timeout", "60s"]);
    expect(stopped.stdout).to.match(/the rollout stopped\n$/);
    const [replica] = JSON.parse(await cluster.cubeOk("list", "pod", "-l", "app=stuck", "-o", "json")) as { name: string }[];
    const node = (await cluster.pod(replica.name)).node!;
    const start = Date.now();
    const drain = await cluster.cube(["drain", node, "--timeout", "2m"]);
    expect(Date.now() - start, "no wait for a pod that will not leave").to.be.below(30_000);
    expect(drain.code).to.equal(1);
    expect(drain.stderr).to.include(`pod/${replica.name} stays on ${node}: deployment/stuck's rollout stopped (`);
    expect(drain.stderr).to.include(`error: node/${node} drained but for 1 pod(s) that will not leave it: pod/${replica.name}\n`);
    await cluster.cubeOk("uncordon", node);
    await cluster.cubeOk("delete", "deployment/stuck");
  });
});
