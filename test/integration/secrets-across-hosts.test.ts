import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { keyedVolumePods } from "../helpers/docker.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, runProgram } from "../helpers/processes.js";
import { TestHosts } from "../helpers/test-hosts.js";

const IMAGE = "cube-test/busybox:latest";
const nodeOf = (host: number) => `host-${host}`;

/**
 * A secret crosses the network to the one host whose pod uses it, and no other: the leader on host 1, followers on
 * hosts 2 and 3, a pod using the secret on host 3; what crosses the bridge between the hosts is recorded.
 */
describe("secrets across hosts: sent to the host that uses one only, never readable on the wire", function () {
  this.timeout(300_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;
  const marker = Math.random().toString(36).slice(2, 10);
  const value = `secret-value-${marker}`;
  const configValue = `config-value-${marker}`;

  const volumesOf = (node: string) => keyedVolumePods(join(cluster.dir.path, node));

  before(async () => {
    hosts = await TestHosts.up(3);
    cluster = new LocalCluster(2, [], hosts);
    await cluster.startLeader(nodeOf(1), 4242, ["--label", "host=1"], 1);
    for (const host of [2, 3]) cluster.startFollower(nodeOf(host), { host, extraArgs: ["--label", `host=${host}`] });
    await cluster.waitForNodes([1, 2, 3].map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
  });
  after(async () => {
    await cluster?.stop();
    await hosts?.down();
  });

  it("reaches host 3 only, over TLS: the capture holds no value, hosts 1 and 2 hold nothing (volume, memory, database)", async () => {
    const capture = join(cluster.dir.path, "bridge.pcap");
    await hosts.startCapture(capture);
    await cluster.apply("app", [
      { type: "secret", metadata: { name: "api" }, data: { token: value } },
      { type: "config", metadata: { name: "settings" }, data: { "app.ini": configValue } },
      {
        type: "pod",
        metadata: { name: "user" },
        spec: {
          nodeSelector: { host: "3" },
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: "main",
              image: IMAGE,
              command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"],
              env: { TOKEN: { secretKeyRef: { name: "api", key: "token" } } },
            },
          ],
          volumes: [
            { name: "api", secret: { name: "api" } },
            { name: "settings", config: { name: "settings" } },
          ],
        },
      },
    ]);
    const pod = await cluster.waitForPodStatus("user", "Running", 60_000);
    expect(pod.node).to.equal(nodeOf(3));
    const read = await cluster.cube(["exec", "pod/user", "--", "sh", "-c", "echo $TOKEN; cat /run/secrets/api/token /run/configs/settings/app.ini"]);
    expect(read.stdout, read.stderr).to.equal(`${value}\n${value}${configValue}`);

    // A control: cleartext sent across the bridge does show in the capture (and tcpdump has written what came before).
    const sendCleartext = `require("net").connect(${cluster.leaderPort}, "${hosts.address(1)}", function () { this.end("cleartext-${marker}"); }).on("error", () => {})`;
    const control = hosts.on(3, process.execPath, ["-e", sendCleartext]);
    await runProgram(control.command, control.args, control.env);
    await eventually("the control in the capture", async () => (readFileSync(capture).includes(`cleartext-${marker}`) ? true : undefined));
    await hosts.stopCapture();
    const recorded = readFileSync(capture);
    expect(recorded.includes(Buffer.from(value)), "the secret's value in the capture").to.equal(false);
    expect(recorded.includes(Buffer.from(configValue)), "the config's value in the capture").to.equal(false);

    expect(await Promise.all([1, 2, 3].map(async (host) => (await volumesOf(nodeOf(host))).length))).to.deep.equal([0, 0, 1]);
    for (const host of [1, 2]) {
      expect(await cluster.cubeOk("get", `node/${nodeOf(host)}`)).to.include("Holds:       <no secret or config>\n");
      expect(readFileSync(join(cluster.dir.path, nodeOf(host), "agent.db")).includes(Buffer.from(value))).to.equal(false);
    }
    await eventually("host 3 to say what it holds", async () =>
      (await cluster.cubeOk("get", `node/${nodeOf(3)}`)).includes("Holds:       config/settings, secret/api\n") ? true : undefined,
    );
    expect(readFileSync(join(cluster.dir.path, nodeOf(3), "agent.db")).includes(Buffer.from(value))).to.equal(false);

    // Once its pod is gone, host 3 keeps nothing: no volume, no tmpfs, nothing in memory.
    await cluster.cubeOk("delete", "pod/user");
    await eventually("host 3 to hold nothing", async () =>
      (await volumesOf(nodeOf(3))).length === 0 && (await cluster.cubeOk("get", `node/${nodeOf(3)}`)).includes("Holds:       <no secret or config>\n")
        ? true
        : undefined,
    );
  });
});
