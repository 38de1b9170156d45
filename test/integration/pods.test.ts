import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { containerHistory, containersWithLabels, dockerExec, dockerLogs, podContainers, podNetworkSubnet } from "../helpers/docker.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";

const run = promisify(execFile);
const IMAGE = "cube-test/busybox:latest";
/** A main process that ends on SIGTERM, as a well-behaved server does (a bare `sleep` as PID 1 would ignore it). */
const SERVE_FOREVER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];

describe("pods on real Docker, through the CLI", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(5);
  const prefix = `t${Math.random().toString(36).slice(2, 7)}`;
  const nodes = { leader: `${prefix}-main`, first: `${prefix}-f1`, second: `${prefix}-f2` };

  const manifest = (name: string, resources: unknown) => {
    const path = join(cluster.dir.path, `${name}.json`);
    writeFileSync(path, JSON.stringify(resources, null, 2));
    return path;
  };
  /** The app containers (not the pause one) of a pod of this cluster. */
  const appContainers = async (name: string) =>
    (await containersWithLabels(`cube.pod=${name}`, "cube.container")).filter((c) => Object.values(nodes).includes(c.labels["cube.node"]));

  before(async () => {
    await cluster.startLeader(nodes.leader);
    cluster.startFollower(nodes.first);
    cluster.startFollower(nodes.second);
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
  });
  after(() => cluster.stop());

  it("runs the seed's manifest (with a local image) to Running, with its env set in the container", async () => {
    const seed = [
      {
        type: "pod",
        metadata: { name: "my-pod", labels: { app: "my-app" } },
        spec: { containers: [{ name: "my-container", image: IMAGE, command: SERVE_FOREVER, env: { ENV_VAR1: "value1", ENV_VAR2: "value2" } }] },
      },
    ];
    expect(await cluster.cubeOk("apply", manifest("seed", seed))).to.equal("pod/my-pod created\n");
    const pod = await cluster.waitForPodStatus("my-pod", "Running");
    expect(pod.manifest).to.deep.equal(seed[0]);
    expect(Object.values(nodes)).to.include(pod.node);
    expect(pod.events.map((e) => e.reason)).to.deep.equal(["Scheduled", "Created", "Started"]);
    const [container] = await appContainers("my-pod");
    expect(container.labels).to.include({ "cube.pod": "my-pod", "cube.container": "my-container", "cube.node": pod.node! });
    const env = await dockerExec(container.id, ["env"]);
    expect(env).to.contain("ENV_VAR1=value1").and.to.contain("ENV_VAR2=value2");

    const table = await cluster.cubeOk("list", "pod");
    expect(table.split("\n")[0]).to.equal("name   | status  | age");
    expect(table).to.match(/^my-pod \| Running \| \d+s$/m);
    expect(await cluster.cubeOk("apply", manifest("seed", seed))).to.equal("pod/my-pod unchanged\n");
  });

  it("lets the containers of one pod reach each other on localhost", async () => {
    await cluster.cubeOk(
      "apply",
      manifest("pair", {
        type: "pod",
        metadata: { name: "pair" },
        spec: {
          containers: [
            { name: "server", image: IMAGE, command: ["sh", "-c", "while true; do echo pong-from-server | nc -l -p 3000; done"] },
            { name: "client", image: IMAGE, command: ["sh", "-c", "until nc localhost 3000; do sleep 0.2; done; sleep 3600"] },
          ],
        },
      }),
    );
    await cluster.waitForPodStatus("pair", "Running");
    const client = (await appContainers("pair")).find((c) => c.labels["cube.container"] === "client")!;
    await eventually("the client's answer", async () => ((await dockerLogs(client.id)).includes("pong-from-server") ? true : undefined));
  });

  it("spreads pods over the leader and both followers", async () => {
    // With the 2 pods of the tests above, 9 pods: 3 per node.
    const names = ["spread-a", "spread-b", "spread-c", "spread-d", "spread-e", "spread-f", "spread-g"];
    await cluster.cubeOk(
      "apply",
      manifest(
        "spread",
        names.map((name) => ({ type: "pod", metadata: { name }, spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER }] } })),
      ),
    );
    const placed = await Promise.all(names.map((name) => cluster.waitForPodStatus(name, "Running")));
    const all = await Promise.all(["my-pod", "pair", ...names].map((name) => cluster.pod(name)));
    const perNode = Object.values(nodes).map((node) => all.filter((pod) => pod.node === node).length);
    expect(perNode).to.deep.equal([3, 3, 3]);
    expect(new Set(placed.map((pod) => pod.node)).size).to.equal(3);
  });

  it("lets pods on nodes that share one engine reach each other by address and by name: each node has its own network", async () => {
    const names = ["talk-a", "talk-b", "talk-c"];
    const serve = ["sh", "-c", "peer-echo serve tcp 8080"];
    await cluster.cubeOk(
      "apply",
      manifest(
        "talk",
        // peer-echo as PID 1 ignores SIGTERM: a short grace.
        names.map((name) => ({
          type: "pod",
          metadata: { name },
          spec: { containers: [{ name: "main", image: IMAGE, command: serve }], terminationGracePeriodSeconds: 1 },
        })),
      ),
    );
    const pods = await Promise.all(
      names.map((name) =>
        eventually(`${name} Running with an address`, async () => {
          const pod = (await cluster.pod(name)) as Awaited<ReturnType<typeof cluster.pod>> & { podIp: string | null };
          return pod.status === "Running" && pod.podIp ? { name, node: pod.node!, ip: pod.podIp } : undefined;
        }),
      ),
    );
    const [caller, callee] = [pods[0], pods.find((pod) => pod.node !== pods[0].node)!];
    expect(callee, "two of the pods on different nodes").to.not.equal(undefined);
    for (const target of [callee.ip, callee.name, `${callee.name}.cube.internal`]) {
      const answer = await cluster.cube(["exec", `pod/${caller.name}`, "--", "peer-echo", "ask", "tcp", target, "8080"]);
      expect(answer.stdout.trim(), `${target}: ${answer.stderr}`).to.equal(caller.ip);
    }
    const subnets = await Promise.all(Object.values(nodes).map(podNetworkSubnet));
    expect(new Set(subnets).size, subnets.join(", ")).to.equal(3);
    await cluster.cubeOk("delete", ...names.map((name) => `pod/${name}`));
  });

  it("replaces the containers when a pod is configured with a new spec", async () => {
    const pod = (value: string) => ({
      type: "pod",
      metadata: { name: "changing" },
      spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER, env: { VERSION: value } }], terminationGracePeriodSeconds: 2 },
    });
    await cluster.cubeOk("apply", manifest("v1", pod("one")));
    await cluster.waitForPodStatus("changing", "Running");
    const [before] = await appContainers("changing");
    expect(await cluster.cubeOk("apply", manifest("v2", pod("two")))).to.equal("pod/changing configured\n");
    const after = await eventually("the new container", async () => {
      const containers = await appContainers("changing");
      return containers.length === 1 && containers[0].id !== before.id && containers[0].state === "running" ? containers[0] : undefined;
    });
    expect(await dockerExec(after.id, ["sh", "-c", "echo $VERSION"])).to.equal("two\n");
    await cluster.waitForPodStatus("changing", "Running");
    expect((await cluster.pod("changing")).events.map((e) => e.reason)).to.include("Killing");
  });

  it("runs a container as its spec says: user, working directory, read-only root, capabilities, stop signal, init", async () => {
    const process = {
      user: "1000:1000",
      workingDir: "/tmp",
      securityContext: { readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } },
      stopSignal: "SIGQUIT",
      init: true,
    };
    await cluster.cubeOk(
      "apply",
      manifest("process", {
        type: "pod",
        metadata: { name: "process" },
        spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER, ...process }], terminationGracePeriodSeconds: 1 },
      }),
    );
    await cluster.waitForPodStatus("process", "Running");
    const [container] = await appContainers("process");
    expect(await dockerExec(container.id, ["sh", "-c", "id -u; id -g; pwd; touch /written 2>&1 || echo refused"])).to.match(
      /^1000\n1000\n\/tmp\n.*(Read-only|refused)/s,
    );
    const { stdout } = await run("docker", [
      "inspect",
      "--format",
      "{{.Config.StopSignal}} {{.HostConfig.Init}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}}",
      container.id,
    ]);
    expect(stdout.trim()).to.equal("SIGQUIT true true [NET_BIND_SERVICE] [ALL]");
    // Its PID 1 is Docker's init, not the command.
    expect((await dockerExec(container.id, ["cat", "/proc/1/comm"])).trim()).to.match(/init/);
    // Capabilities beyond Docker's defaults are refused by this leader (not started with --allow-capabilities).
    const refused = await cluster.cube([
      "apply",
      manifest("admin", {
        type: "pod",
        metadata: { name: "admin" },
        spec: { containers: [{ name: "main", image: IMAGE, securityContext: { capabilities: { add: ["NET_ADMIN"] } } }] },
      }),
    ]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include("NET_ADMIN is beyond Docker's default capabilities");
    await cluster.cubeOk("delete", "pod/process");
  });

  it("deletes a pod gracefully: no container with its labels is left, and it is gone from list and get", async () => {
    await cluster.cubeOk(
      "apply",
      manifest("doomed", { type: "pod", metadata: { name: "doomed" }, spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER }] } }),
    );
    await cluster.waitForPodStatus("doomed", "Running");
    expect(await podContainers("doomed")).to.have.length(2);
    const [app] = await appContainers("doomed");
    const deletedAt = new Date();
    expect(await cluster.cubeOk("delete", "pod/doomed")).to.equal("pod/doomed deleted\n");
    expect(await podContainers("doomed")).to.deep.equal([]);
    // Gracefully: SIGTERM, on which the app exits by itself (its trap's 0), and no SIGKILL.
    expect(await containerHistory(app.id, deletedAt)).to.deep.equal(["kill 15", "die 0"]);
    expect(await cluster.cubeOk("list")).to.not.match(/^doomed /m);
    const get = await cluster.cube(["get", "pod/doomed"]);
    expect(get.code).to.equal(1);
    expect(get.stderr).to.equal("error: pod/doomed not found\n");
    const again = await cluster.cube(["delete", "pod/doomed"]);
    expect(again.stderr).to.equal("error: pod/doomed not found\n");
  });

  it("applies nothing from an invalid file, and says every problem", async () => {
    const before = await cluster.cubeOk("list", "-o", "json");
    const result = await cluster.cube([
      "apply",
      manifest("invalid", [
        { type: "pod", metadata: { name: "valid-one" }, spec: { containers: [{ name: "main", image: IMAGE }] } },
        { type: "pod", metadata: { name: "Invalid" }, spec: { containers: [{ name: "main" }] } },
      ]),
    ]);
    expect(result.code).to.equal(1);
    expect(result.stderr)
      .to.contain("invalid.json: resource 2: metadata.name: must be a DNS label")
      .and.to.contain("resource 2: spec.containers[0].image: required");
    expect(await cluster.cubeOk("list", "-o", "json")).to.equal(before);
  });

  it("applies a manifest read from standard input", async () => {
    const result = await cluster.cube(
      ["apply", "-"],
      undefined,
      JSON.stringify({ type: "pod", metadata: { name: "from-stdin" }, spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER }] } }),
    );
    expect(result).to.deep.include({ code: 0, stdout: "pod/from-stdin created\n" });
    await cluster.waitForPodStatus("from-stdin", "Running");
  });

  it("runs a deployment's replicas on the engine, scales it and deletes it, through the CLI", async () => {
    const web = {
      type: "deployment",
      metadata: { name: "replicated" },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER }], terminationGracePeriodSeconds: 1 } } },
    };
    expect(await cluster.cubeOk("apply", manifest("replicated", web))).to.equal("deployment/replicated created (revision 1)\n");
    const table = () => cluster.cubeOk("list", "deployment");
    await eventually("3/3 ready", async () => (/^replicated\s+\| 3\/3\s+\| 3\s+\| 3\s+\|/m.test(await table()) ? true : undefined), 30_000);
    const running = async () =>
      (await containersWithLabels("cube.container=main")).filter((c) => c.labels["cube.pod"].startsWith("replicated-") && c.state === "running");
    expect(new Set((await running()).map((c) => c.labels["cube.node"])).size, "one replica per node").to.equal(3);
    expect(await cluster.cubeOk("scale", "deployment/replicated", "--replicas", "1")).to.equal("deployment/replicated scaled to 1\n");
    expect(JSON.parse(await cluster.cubeOk("get", "deployment/replicated", "-o", "json")).manifest.spec.replicas).to.equal(1);
    await eventually("one replica left", async () => ((await running()).length === 1 ? true : undefined), 30_000);
    const [first] = await running();
    expect(await cluster.cubeOk("rollout", "restart", "deployment/replicated")).to.equal(
      "deployment/replicated restarting (revision 2; follow it with `cube rollout status deployment/replicated`)\n",
    );
    expect((await cluster.cubeOk("rollout", "status", "deployment/replicated")).trimEnd().split("\n").at(-1)).to.equal(
      "deployment/replicated successfully rolled out (revision 2)",
    );
    await eventually("the replica replaced", async () => ((await running()).map((c) => c.id).join() !== first.id ? true : undefined), 30_000);
    expect(await cluster.cubeOk("rollout", "undo", "deployment/replicated", "--to-revision", "1")).to.equal(
      "deployment/replicated rolled back (now revision 3; follow it with `cube rollout status deployment/replicated`)\n",
    );
    const history = (await cluster.cubeOk("rollout", "history", "deployment/replicated")).trimEnd().split("\n");
    expect(history.map((line) => line.split("|")[0].trim())).to.deep.equal(["revision", "2", "3 (current)"]);
    // The first revision kept says its images; the undo, what it changed: the restart's mark gone.
    expect(history[1]).to.include(`main=${IMAGE}`);
    expect(history[2]).to.include("metadata.annotations.cube.dev/restartedAt removed");
    const refused = await cluster.cube(["rollout", "status", "pod/replicated"]);
    expect(refused).to.deep.include({ code: 1, stdout: "", stderr: "error: only a deployment has rollouts, not a pod (e.g. deployment/web)\n" });
    expect(await cluster.cubeOk("delete", "deployment/replicated")).to.equal("deployment/replicated deleted\n");
    await eventually("no replica left", async () => ((await running()).length === 0 ? true : undefined), 30_000);
  });

  it("reports a pull that fails as ErrImagePull, with Docker's own error", async () => {
    await cluster.cubeOk(
      "apply",
      manifest("missing", { type: "pod", metadata: { name: "missing-image" }, spec: { containers: [{ name: "main", image: "cube-test/does-not-exist:1" }] } }),
    );
    const pod = await cluster.waitForPodStatus("missing-image", "ErrImagePull");
    const failed = pod.events.find((e) => e.reason === "Failed")!;
    expect(failed.type).to.equal("Warning");
    expect(failed.message).to.match(/^Failed to pull image "cube-test\/does-not-exist:1": .+/);
    expect(pod.events.map((e) => e.reason)).to.include("Pulling");
  });
});
