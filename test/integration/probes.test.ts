import { expect } from "chai";
import { LocalCluster, type PodJson } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
/** Runs `script`, then idles until SIGTERM. */
const serve = (script: string) => ["sh", "-c", `trap 'exit 0' TERM; ${script}; while true; do sleep 1; done`];
const fast = { periodSeconds: 1, timeoutSeconds: 1 };

/** Probes on real Docker: the leader's own node runs the pods. */
describe("probes, on real Docker", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(2);

  const apply = (name: string, spec: object) => cluster.apply(name, { type: "pod", metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } });
  const exec = (pod: string, script: string) => cluster.cubeOk("exec", `pod/${pod}`, "--", "sh", "-c", script);
  const readyIs = (pod: string, ready: boolean) =>
    eventually(`pod/${pod} ready ${ready}`, async () => {
      const json = JSON.parse(await cluster.cubeOk("get", `pod/${pod}`, "-o", "json")) as PodJson & { ready?: boolean };
      return json.status === "Running" && (json.ready ?? false) === ready ? json : undefined;
    });

  before(async () => {
    await cluster.startLeader("probes");
    await cluster.waitForNodes([{ name: "probes", status: "Ready", type: "Leader" }]);
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(() => cluster.stop());

  it("restarts a web server whose liveness probe fails (HTTP 404), and after the crash limit the pod is Failed, saying why", async () => {
    await apply("web", {
      volumes: [{ name: "state", emptyDir: {} }],
      restart: { initialBackoffSeconds: 1, maxFailures: 2 },
      containers: [
        {
          name: "httpd",
          image: IMAGE,
          // Healthy until the test marks the pod broken (in a volume, so that it stays broken across restarts).
          command: serve("mkdir -p /www; [ -e /state/broken ] || echo ok > /www/healthz; httpd -p 8080 -h /www"),
          volumeMounts: [{ name: "state", mountPath: "/state" }],
          livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, failureThreshold: 1, ...fast },
        },
      ],
    });
    await cluster.waitForPodStatus("web", "Running");
    await new Promise((resolve) => setTimeout(resolve, 2500)); // a few probes pass
    expect((await cluster.pod("web")).containers[0].restartCount).to.equal(0);
    await exec("web", "touch /state/broken; rm /www/healthz");
    const failed = await cluster.waitForPodStatus("web", "Failed", 60_000);
    // Its exit code is whatever the process made of SIGTERM (this one exits 0): the reason is what counts.
    expect(failed.message).to.match(
      /^container httpd failed 2 times in a row \(exit code \d+: Liveness probe failed: HTTP 404 from \/healthz, reason Unhealthy\); giving up$/,
    );
    const events = failed.events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
    expect(events).to.include("Warning Unhealthy: Liveness probe of container httpd failed: HTTP 404 from /healthz");
    expect(
      events.some((e) => e.startsWith("Normal Killing: Stopping container httpd: container httpd is unhealthy (Liveness probe failed: HTTP 404")),
    ).to.equal(true);
  });

  it("flips Ready as a file appears and goes (an exec readiness probe)", async () => {
    await apply("gate", {
      containers: [
        { name: "main", image: IMAGE, command: serve("true"), readinessProbe: { exec: { command: ["cat", "/tmp/ready"] }, failureThreshold: 1, ...fast } },
      ],
    });
    const notReady = await readyIs("gate", false);
    expect(notReady.containers[0]).to.include({ ready: false });
    expect(await cluster.cubeOk("get", "pod/gate")).to.include("Ready:    0/1");
    await exec("gate", "touch /tmp/ready");
    await readyIs("gate", true);
    expect(await cluster.cubeOk("get", "pod/gate")).to.include("Ready:    1/1");
    await exec("gate", "rm /tmp/ready");
    const again = await readyIs("gate", false);
    expect(again.events.map((e) => e.reason)).to.include.members(["Ready", "Unhealthy"]);
  });

  it("shows a probe's output with its control characters escaped: a container cannot drive the admin's terminal", async () => {
    // Clears the screen, sets the terminal's title and rings, if printed as it is.
    const hostile = "printf '\\033[2J\\033]0;pwned\\007'; exit 1";
    await apply("hostile", {
      containers: [
        { name: "main", image: IMAGE, command: serve("true"), readinessProbe: { exec: { command: ["sh", "-c", hostile] }, failureThreshold: 1, ...fast } },
      ],
    });
    await eventually("the probe's failure in the events", async () =>
      (await cluster.pod("hostile")).events.some((e) => e.reason === "Unhealthy") ? true : undefined,
    );
    const shown = await cluster.cubeOk("get", "pod/hostile");
    expect(shown).to.include("Readiness probe of container main failed: command exited with 1: \\x1b[2J\\x1b]0;pwned\\x07");
    expect(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(shown), "a control character in the output").to.equal(false);
    // -o json carries the message as it is, escaped by JSON itself.
    expect((await cluster.pod("hostile")).events.find((e) => e.reason === "Unhealthy")!.message).to.include("\u001b]0;pwned\u0007");
  });

  it("is ready once its port accepts connections (a TCP readiness probe)", async () => {
    await apply("late", {
      containers: [
        { name: "main", image: IMAGE, command: serve("sleep 3; mkdir -p /www; httpd -p 8080 -h /www"), readinessProbe: { tcpSocket: { port: 8080 }, ...fast } },
      ],
    });
    await readyIs("late", false);
    const ready = await readyIs("late", true);
    expect(ready.containers[0].restartCount).to.equal(0);
  });

  it("holds the liveness probe back until the startup probe succeeds: a slow start is not a failure", async () => {
    const started = { exec: { command: ["test", "-e", "/tmp/started"] } };
    await apply("slow", {
      containers: [
        {
          name: "main",
          image: IMAGE,
          command: serve("sleep 4; touch /tmp/started"),
          startupProbe: { ...started, failureThreshold: 30, ...fast },
          // Would kill the container at its first failure, were it not held back.
          livenessProbe: { ...started, failureThreshold: 1, ...fast },
        },
      ],
    });
    await readyIs("slow", true);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pod = await cluster.pod("slow");
    expect(pod.status).to.equal("Running");
    expect(pod.containers[0].restartCount).to.equal(0);
    expect(pod.events.map((e) => e.reason)).to.not.include("Killing");
  });
});
