import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, startProcess, type TestProcess } from "../helpers/processes.js";
import { PrivateRegistry } from "../helpers/private-registry.js";

const run = promisify(execFile);
const SERVE_FOREVER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];

// A private registry as users have one: TLS from a CA the engine trusts, users in htpasswd. Pods name a registry
// secret in imagePullSecrets; no node is logged in.
describe("images from a private registry, with imagePullSecrets", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(5);
  let registry: PrivateRegistry;
  let image: string;

  const pod = (name: string, pullSecrets: string[]) => ({
    type: "pod",
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      restart: { initialBackoffSeconds: 1, maxBackoffSeconds: 2 },
      containers: [{ name: "main", image, command: SERVE_FOREVER }],
      ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((name) => ({ name })) } : {}),
    },
  });
  /**
   * This machine's address on Docker's default bridge: its gateway, or (an engine that leaves the gateway out of the
   * bridge's IPAM config, as a freshly started one here did) the bridge interface's own address.
   */
  const bridgeAddress = async () => {
    const { stdout } = await run("docker", [
      "network",
      "inspect",
      "bridge",
      "--format",
      '{{(index .IPAM.Config 0).Gateway}}|{{index .Options "com.docker.network.bridge.name"}}',
    ]);
    const [gateway, bridge] = stdout.trim().split("|");
    // `ip`, not os.networkInterfaces(): a bridge with no container yet has no carrier, and Node lists only running links.
    const shown = gateway ? "" : (await run("ip", ["-4", "-o", "address", "show", "dev", bridge || "docker0"])).stdout;
    const address = gateway || /\binet ([\d.]+)\//.exec(shown)?.[1];
    if (!address) throw new Error(`no address of this machine on Docker's default bridge (docker network inspect bridge: ${stdout.trim()})`);
    return address;
  };
  /**
   * The statuses pods go through, as `cube list pod -w` tells them: a first failed pull's ErrImagePull lasts one
   * back-off (1 s here), which polling with `cube get` can miss on a busy machine; the watch gets every change.
   */
  const watchStatuses = () => {
    const watching = startProcess(
      "cube list pod -w",
      process.execPath,
      [join(projectRoot, "bin", "run.js"), "list", "pod", "-w", "-o", "json"],
      cluster.cliEnv(),
    );
    const statuses = (name: string) =>
      watching.lines
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { name: string; status: string })
        .filter((change) => change.name === name)
        .map((change) => change.status)
        .filter((status, i, all) => status !== all[i - 1]);
    const waitFor = (name: string, status: string) =>
      eventually(`pod/${name} ${status} in the watch`, async () => (statuses(name).includes(status) ? true : undefined), 30_000, 50).catch((error: Error) => {
        throw new Error(`${error.message}; it went through: ${statuses(name).join(" → ") || "nothing"}`);
      });
    return { watching, statuses, waitFor };
  };
  let watch: { watching: TestProcess; statuses: (name: string) => string[]; waitFor: (name: string, status: string) => Promise<unknown> };
  const dropImage = () => run("docker", ["rmi", "-f", image]).catch(() => undefined);

  before(async () => {
    registry = await PrivateRegistry.start(join(cluster.dir.path, "registry"), await bridgeAddress());
    image = await registry.push("cube-test/busybox:latest", `team/private-${Math.random().toString(36).slice(2, 7)}:1`);
    await cluster.startLeader(`r${Math.random().toString(36).slice(2, 7)}`);
    await eventually("a Ready node", async () => ((await cluster.nodes()).some((n) => n.status === "Ready") ? true : undefined));
    watch = watchStatuses();
  });
  after(async () => {
    await watch?.watching.kill("SIGINT");
    await cluster.stop();
    await registry?.stop();
    await dropImage();
  });

  it("refuses the pull without credentials, with the registry's words (ErrImagePull, then its back-off)", async () => {
    await dropImage();
    await cluster.apply("anonymous", [pod("anonymous", [])]);
    await watch.waitFor("anonymous", "ImagePullBackOff");
    const seen = watch.statuses("anonymous");
    expect(seen.indexOf("ErrImagePull"), seen.join(" → ")).to.be.within(0, seen.indexOf("ImagePullBackOff"));
    // The back-off keeps the failed pull's words.
    expect((await cluster.pod("anonymous")).message)
      .to.include(registry.address)
      .and.to.match(/no basic auth credentials|unauthorized|authentication required/);
    await cluster.cubeOk("delete", "pod/anonymous");
  });

  it("refuses it with a wrong password, with the registry's words", async () => {
    await cluster.apply("wrong", [
      { type: "secret", metadata: { name: "wrong-login" }, registry: { server: registry.address, username: registry.username, password: "not-the-password" } },
      pod("wrong", ["wrong-login"]),
    ]);
    await watch.waitFor("wrong", "ImagePullBackOff");
    expect(watch.statuses("wrong")).to.include("ErrImagePull");
    expect((await cluster.pod("wrong")).message).to.match(/unauthorized|authentication required/);
    await cluster.cubeOk("delete", "pod/wrong");
  });

  it("pulls with the right credentials from a registry secret (made with cube create secret), for that pod only", async () => {
    const created = await cluster.cube(
      ["create", "secret", "registry-login", "--registry-server", registry.address, "--username", registry.username, "--password-stdin"],
      undefined,
      `${registry.password}\n`,
    );
    expect(created.stdout, created.stderr).to.equal("secret/registry-login created\n");
    await cluster.apply("private", [pod("private", ["registry-login"])]);
    const running = await cluster.waitForPodStatus("private", "Running", 60_000);
    expect(running.events.map((e) => e.reason)).to.include("Pulled");
    expect(await cluster.cubeOk("get", "secret/registry-login", "-o", "yaml")).to.not.include(registry.password);
  });
});
