import { expect } from "chai";
import Docker from "dockerode";
import { containerLabels } from "../../../src/agent/container-labels.js";
import { DockerRuntime } from "../../../src/agent/docker-runtime.js";
import { CgroupReader } from "../../../src/agent/usage/cgroup-reader.js";
import { DockerUsage } from "../../../src/agent/usage/docker-usage.js";
import { removeNodeLeftovers } from "../../helpers/docker.js";

const NODE = `usage-test-${process.pid}`;
const MiB = 2 ** 20;

/** Readings of real containers on this machine's engine: from their cgroup files, and from the engine's stats. */
describe("DockerUsage, on real Docker", function () {
  this.timeout(60_000);
  const docker = new Docker();
  const runtime = new DockerRuntime(docker);
  let busy: string;
  let holder: string;

  async function run(name: string, script: string): Promise<string> {
    const id = await runtime.createContainer({
      name: `${NODE}-${name}`,
      image: "cube-test/busybox:latest",
      labels: containerLabels(NODE, { uid: name, name, specHash: "h" }, "main"),
      command: ["sh", "-c", script],
    });
    await runtime.startContainer(id);
    return id;
  }

  before(async () => {
    busy = await run("busy", "yes > /dev/null");
    holder = await run("holder", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=32 2>/dev/null; sleep 3600");
    await new Promise((resolve) => setTimeout(resolve, 1500));
  });
  after(() => removeNodeLeftovers([NODE]));

  it("reads running containers through their processes' cgroups, as the engine's stats read them", async () => {
    const running = (await runtime.listContainers(NODE)).filter((c) => c.state === "running");
    expect(running.map((c) => c.pid)).to.satisfy((pids: (number | undefined)[]) => pids.every((pid) => typeof pid === "number" && pid > 0));
    const cgroups = new CgroupReader();
    const fromFiles = await cgroups.read(running.find((c) => c.id === holder)!.pid!, holder);
    // Without a process to read through, the engine is asked.
    const fromEngine = (await new DockerUsage(docker).sample([{ id: holder }])).get(holder)!;
    expect(fromFiles.memoryBytes).to.be.within(32 * MiB, 40 * MiB);
    expect(Math.abs(fromFiles.memoryBytes - fromEngine.memoryBytes)).to.be.below(2 * MiB);

    const samples = await runtime.sampleUsage(running);
    expect([...samples.keys()].sort()).to.deep.equal([busy, holder].sort());
    // About 1.5 s of one core spinning so far.
    expect(samples.get(busy)!.cpuNanos).to.be.above(0.5e9);
  });

  it("leaves out a container that is not running", async () => {
    await runtime.stopContainer(holder, 1);
    const samples = await runtime.sampleUsage([{ id: holder }]);
    expect(samples.has(holder)).to.equal(false);
  });
});
