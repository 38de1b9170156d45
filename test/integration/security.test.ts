import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, runProgram, startProcess, type TestProcess } from "../helpers/processes.js";
import { TestHosts } from "../helpers/test-hosts.js";

const IMAGE = "cube-test/busybox:latest";

/**
 * Security as an attacker on the network would check it, on the multi-host test bed: the leader on host 1, a follower
 * on host 2, the CLI and the attacker's tools on host 3; what crosses the bridge between them is recorded.
 */
describe("security across hosts: nothing readable on the wire, and no man in the middle", function () {
  this.timeout(300_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;
  const marker = Math.random().toString(36).slice(2, 10);
  const secrets = { manifest: `manifest-${marker}`, log: `log-line-${marker}`, execIn: `exec-input-${marker}`, execOut: `exec-output-${marker}` };

  /** A CLI config on host 3 (its own directory, so its own pinned CA) pointing at `leaderUrl`. */
  const cliOn3 = (name: string, leaderUrl: string): NodeJS.ProcessEnv => {
    const dir = join(cluster.dir.path, `cli-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config"), JSON.stringify({ leaderUrl, password: cluster.adminPassword() }));
    return { CUBE_CONFIG: join(dir, "config") };
  };
  const cube = async (env: NodeJS.ProcessEnv, args: string[], stdin?: string) => {
    const result = await cluster.cube(args, undefined, stdin, { host: 3, env });
    expect(result.code, `cube ${args.join(" ")}: ${result.stderr}`).to.equal(0);
    return result.stdout;
  };

  before(async () => {
    hosts = await TestHosts.up(3);
    cluster = new LocalCluster(2, ["--pods-on-leader", "no"], hosts);
  });
  after(async () => {
    await cluster?.stop();
    await hosts?.down();
  });

  it("carries no cleartext between hosts: not the HTTP/2 preface, the token, a manifest, a log line or exec's input and output", async () => {
    const capture = join(cluster.dir.path, "bridge.pcap");
    await hosts.startCapture(capture);
    await cluster.startLeader("host-1", 4242, cluster.leaderArgs, 1);
    cluster.startFollower("host-2", { host: 2 });
    await cluster.waitForNodes([
      { name: "host-1", status: "Ready", type: "Leader" },
      { name: "host-2", status: "Ready", type: "Follower" },
    ]);
    const cli = cliOn3("wire", cluster.leaderAddress);
    const manifest = join(cluster.dir.path, "wire.json");
    writeFileSync(
      manifest,
      JSON.stringify({
        type: "pod",
        metadata: { name: "wire" },
        spec: {
          containers: [{ name: "main", image: IMAGE, env: { SECRET: secrets.manifest }, command: ["sh", "-c", `echo ${secrets.log}; exec sleep 600`] }],
          terminationGracePeriodSeconds: 1,
        },
      }),
    );
    await cube(cli, ["apply", manifest]);
    await eventually("the pod Running", async () => ((await cube(cli, ["list", "pod"])).includes("Running") ? true : undefined), 60_000);
    expect(await cube(cli, ["logs", "pod/wire"])).to.contain(secrets.log);
    const exec = await cube(cli, ["exec", "pod/wire", "--", "sh", "-c", `read line; echo "$line" | sed s/input/output/`], `${secrets.execIn}\n`);
    expect(exec).to.equal(`${secrets.execOut}\n`);
    // A control: cleartext sent across the bridge does show in the capture.
    const sendCleartext = `require("net").connect(${cluster.leaderPort}, "${hosts.address(1)}", function () { this.end("cleartext-${marker}"); }).on("error", () => {})`;
    const control = hosts.on(3, process.execPath, ["-e", sendCleartext]);
    await runProgram(control.command, control.args, control.env);
    // It is also the sign that tcpdump has written what came before it.
    await eventually("the control in the capture", async () => (readFileSync(capture).includes(`cleartext-${marker}`) ? true : undefined));
    await hosts.stopCapture();

    const recorded = readFileSync(capture);
    expect(recorded.length).to.be.greaterThan(10_000);
    for (const [what, text] of Object.entries({ preface: "PRI * HTTP/2.0", token: cluster.token, ...secrets })) {
      expect(recorded.includes(text), `${what} in the capture`).to.equal(false);
    }
  });

  it("refuses a TLS relay with its own certificate, between a follower or the CLI and the leader, which learns no secret", async () => {
    const relayed = join(cluster.dir.path, "relayed");
    const { command, args, env } = hosts.on(3, process.execPath, [
      "--import",
      "tsx",
      join(projectRoot, "test", "helpers", "tls-relay-main.ts"),
      hosts.address(3),
      "4300",
      hosts.address(1),
      String(cluster.leaderPort),
      relayed,
    ]);
    let relay: TestProcess | undefined = startProcess("relay", command, args, env);
    try {
      await relay.waitForLine(/relaying/);
      const throughRelay = `${hosts.address(3)}:4300`;

      // A new follower, which has only the token: the leader's answer cannot be for the relay's certificate.
      const newcomer = cluster.startFollower("host-3", { host: 3, leader: throughRelay });
      await newcomer.waitForLine(
        /cannot join: the leader at 10\.99\.\d+\.3:4300 refused: the certificate you see is not the leader's: something between you and the leader/,
      );

      // The CLI, first contact: the same, in one line.
      const result = await cluster.cube(["nodes"], undefined, undefined, { host: 3, env: cliOn3("relay", throughRelay) });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^error: the leader at \S+:4300 refused: the certificate you see is not the leader's[^\n]*\n$/);

      // A follower that pinned the CA, pointed at the relay: TLS fails against its pinned CA.
      const pinned = cluster.processes.find((p) => p.label === "follower host-2")!;
      await pinned.kill("SIGTERM");
      const redirected = cluster.startFollower("host-2", { host: 2, leader: throughRelay });
      await redirected.waitForLine(/cannot join: leader 10\.99\.\d+\.3:4300 failed TLS verification \(.*\): someone in the middle/);

      expect((await cluster.nodes()).map((node) => node.name)).to.deep.equal(["host-1", "host-2"]);
      await relay.kill("SIGTERM");
      relay = undefined;
      const seen = readFileSync(relayed);
      expect(seen.length, "the relay saw traffic").to.be.greaterThan(0);
      expect(seen.includes(cluster.token), "the token reached the relay").to.equal(false);
    } finally {
      await relay?.kill("SIGTERM");
    }
  });
});
