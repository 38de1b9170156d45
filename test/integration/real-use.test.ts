import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, runProgram, startProcess, type TestProcess } from "../helpers/processes.js";

const run = promisify(execFile);
const IMAGE = "cube-test/busybox:latest";
const SERVE = (script = "true") => ["sh", "-c", `trap 'exit 0' TERM; ${script}; while true; do sleep 1; done`];

/**
 * What a day of real use found, each through the real `cube` binary, on a local cluster as people try Cube first: a
 * leader and two followers on this machine, sharing its one Docker engine.
 */
describe("real use: stdin, rollouts that fail, node removal, ports on a shared engine, drains, kubectl's forms, streams", function () {
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

  let leader: TestProcess;

  before(async () => {
    leader = await cluster.startLeader(nodes.leader);
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

  it("takes kubectl's forms: get -l, logs -l merged, logs and exec of a deployment, nodes through get, restart by bare name", async () => {
    const kube = (mode: string) => ({
      type: "deployment",
      metadata: { name: "kube" },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: "kube" } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: "main", image: IMAGE, env: { MODE: mode }, command: SERVE('echo "line from $(hostname)"') }],
          },
        },
      },
    });
    expect(await cluster.cubeOk("apply", manifest("kube-a", kube("a")))).to.equal("deployment/kube created (revision 1)\n");
    await cluster.cubeOk("rollout", "status", "deployment/kube", "--timeout", "60s");
    const replicas = (JSON.parse(await cluster.cubeOk("get", "pods", "-l", "app=kube", "-o", "json")) as { name: string }[]).map((pod) => pod.name);
    expect(replicas).to.have.length(2);
    expect(
      (await cluster.cubeOk("get", "pods", "-l", "app=kube"))
        .trimEnd()
        .split("\n")
        .slice(1)
        .map((line) => line.split(/\s+/)[0]),
    ).to.have.members(replicas);
    // Every replica's lines, each prefixed with its pod and container.
    const merged = await cluster.cubeOk("logs", "-l", "app=kube");
    for (const replica of replicas) expect(merged).to.match(new RegExp(`^\\[${replica}/main\\] +line from `, "m"));
    // A deployment's logs and exec: one running replica, named on stderr.
    const logs = await cluster.cube(["logs", "deploy/kube"]);
    expect(logs.code, logs.stderr).to.equal(0);
    const chosen = /^Found 2 pods, using pod\/(\S+)\n$/.exec(logs.stderr)?.[1];
    expect(replicas).to.include(chosen);
    expect(logs.stdout).to.match(/^\[main\] line from \S+\n$/);
    const exec = await cluster.cube(["exec", "deploy/kube", "--", "sh", "-c", "echo $MODE"]);
    expect(exec).to.deep.include({ code: 0, stdout: "a\n" });
    // Nodes through get and describe.
    const listedNodes = await cluster.cubeOk("get", "nodes");
    for (const { name } of await cluster.nodes()) expect(listedNodes).to.match(new RegExp(`^${name} +\\| Ready`, "m"));
    const node = (await cluster.pod(chosen!)).node!;
    const described = await cluster.cubeOk("describe", "node", node);
    expect(described)
      .to.match(new RegExp(`^Name: +${node}$`, "m"))
      .and.match(new RegExp(`^  ${chosen} +\\| Running`, "m"));
    const ageless = (text: string) => text.replace(/\b\d+[smhd]\b/g, "AGE"); // the two calls are a second apart
    expect(ageless(await cluster.cubeOk("get", `node/${node}`))).to.equal(ageless(described));
    const unknown = await cluster.cube(["get", "node/nowhere"]);
    expect(unknown).to.deep.include({ code: 1, stderr: "error: node/nowhere not found (see cube nodes)\n" });
    // A bare name: the deployment of that name (restarted as a rollout, a new revision).
    expect(await cluster.cubeOk("restart", "kube")).to.equal("deployment/kube restarted\n");
    const none = await cluster.cube(["restart", "nothing-here"]);
    expect(none).to.deep.include({ code: 1, stderr: 'error: no pod or deployment named "nothing-here" (see cube list)\n' });
    await cluster.cubeOk("rollout", "status", "deployment/kube", "--timeout", "60s");
    // What each revision changed; the template of one; the replicas' revision and image.
    expect(await cluster.cubeOk("apply", manifest("kube-b", kube("b")))).to.equal("deployment/kube configured (revision 3)\n");
    await cluster.cubeOk("rollout", "status", "deployment/kube", "--timeout", "60s");
    const history = (await cluster.cubeOk("rollout", "history", "kube")).trimEnd().split("\n");
    expect(history[1]).to.include(`main=${IMAGE}`);
    expect(history[2]).to.match(/restarted \d{4}-/);
    expect(history[3])
      .to.match(/^3 \(current\)/)
      .and.include("main.env.MODE=b (was a)");
    expect(await cluster.cubeOk("rollout", "history", "kube", "--revision", "1")).to.include("MODE: a");
    const shown = await cluster.cubeOk("get", "deploy/kube");
    const rows = shown.split("\n").filter((line) => /^ {2}kube-/.test(line));
    expect(rows).to.have.length(2);
    for (const row of rows) expect(row.split("|").map((cell) => cell.trim())).to.include.members(["3", IMAGE]);
    await cluster.cubeOk("delete", "deployment/kube");
  });

  it("says in one line what was wrong with flags, commands and manifests written for Kubernetes or too large", async () => {
    const oneLine = (result: { code: number | null; stdout: string; stderr: string }) => {
      expect(result.code).to.not.equal(0);
      expect(result.stdout).to.equal("");
      expect(result.stderr.split("\n")).to.have.length(2); // one line, and its newline
      return result.stderr;
    };
    expect(oneLine(await cluster.cube(["scale", "deploy/web", "--replicas", "abc"]))).to.match(/^error: --replicas: expected an integer/);
    expect(oneLine(await cluster.cube(["scale", "deploy/web"]))).to.match(/^error: --replicas is required: see `cube scale --help`/);
    expect(oneLine(await cluster.cube(["gett", "pod/hello"]))).to.match(/^error: unknown command "gett": did you mean `cube get pod\/hello`\?/);
    const kubernetes = manifest("k8s", { apiVersion: "v1", kind: "Pod", metadata: { name: "k" }, spec: { containers: [{ name: "m", image: IMAGE }] } });
    // A manifest's problems are listed under one line, each with its file and path.
    const refused = await cluster.cube(["apply", "-f", kubernetes]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal(
      `error: invalid manifest:\n  ${kubernetes}: kind: a Kubernetes manifest (kind: Pod): Cube's resources say "type: pod" with no apiVersion, and a container's env is a map {NAME: value}\n`,
    );
    const broken = join(cluster.dir.path, "broken.json");
    writeFileSync(broken, '{"type": "pod",\n  "metadata": {"name": "x"},,\n}');
    expect(await cluster.cube(["apply", "-f", broken])).to.deep.include({
      code: 1,
      stderr: `error: invalid manifest:\n  ${broken}:2:29: JSON syntax error: Expected double-quoted property name\n`,
    });
    const large = manifest(
      "large",
      Array.from({ length: 1200 }, (_, i) => pod(`large-${i}`, { containers: [{ name: "main", image: IMAGE, env: { PAD: "x".repeat(4000) } }] })),
    );
    expect(oneLine(await cluster.cube(["apply", "-f", large]))).to.match(/at most 4 MiB per apply \(split it/);
    expect(await listed()).to.satisfy((pods: { name: string }[]) => pods.every((p) => !p.name.startsWith("large-") && p.name !== "k"));
  });

  // Last: it stops the leader (and starts it again).
  it("ends a followed log and a watch with a clear error when the leader stops, not a quiet exit 0", async () => {
    await cluster.cubeOk("apply", manifest("followed", pod("followed", { containers: [{ name: "main", image: IMAGE, command: SERVE("echo started") }] })));
    await cluster.waitForPodStatus("followed", "Running");
    const cli = (...args: string[]) =>
      startProcess(`cube ${args.join(" ")}`, process.execPath, [join(projectRoot, "bin", "run.js"), ...args], cluster.cliEnv());
    const ready = async () => (await cluster.nodes()).filter((n) => n.status === "Ready").length;
    const readyBefore = await ready();
    const follow = cli("logs", "-f", "pod/followed");
    const watch = cli("list", "pod", "-w");
    await follow.waitForLine(/started/);
    await watch.waitForLine(/^followed /);
    // The scenario happened: the leader stopped, by itself, on SIGTERM.
    expect(await leader.kill("SIGTERM")).to.equal(0);
    for (const stream of [follow, watch]) {
      expect(await stream.exitCode(), stream.lines.join("\n")).to.equal(1);
      expect(stream.lines.join("\n")).to.match(/error: the leader at \S+ is stopping: the stream ended; run the command again once it is back$/);
    }
    console.log(`      (${[follow, watch].map((stream) => stream.lines.at(-1)).join("; ")})`);
    leader = await cluster.startLeader(nodes.leader);
    await eventually("the nodes Ready again", async () => ((await ready()) === readyBefore ? true : undefined));
    await cluster.cubeOk("delete", "pod/followed", "--no-wait");
  });
});
