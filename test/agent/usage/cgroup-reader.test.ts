import { expect } from "chai";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupReader, parseProcCgroup } from "../../../src/agent/usage/cgroup-reader.js";
import { tempDir } from "../../helpers/temp-dir.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const ID = "5801373c52a15575ed3d9f674274342ae76b57fed88253e7ea9cffe842953b1b";
const AT = Date.UTC(2026, 11, 4, 21);

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((dir) => dir.remove()));

/** A machine's /sys/fs/cgroup and /proc, as files in a temporary directory: a container's process in its cgroup. */
function machine(layout: "v2-systemd" | "v2-cgroupfs" | "v1"): { reader: CgroupReader; pid: number } {
  const root = tempDir("cgroup");
  dirs.push(root);
  const [cgroups, proc] = [join(root.path, "cgroup"), join(root.path, "proc")];
  const pid = 4242;
  mkdirSync(join(proc, String(pid)), { recursive: true });
  const copy = (from: string, dir: string, names: string[]) => {
    mkdirSync(dir, { recursive: true });
    for (const name of names) copyFileSync(join(FIXTURES, from, name), join(dir, name));
  };
  if (layout === "v1") {
    writeFileSync(join(proc, String(pid), "cgroup"), [`4:memory:/docker/${ID}`, `2:cpu,cpuacct:/docker/${ID}`, `0::/docker/${ID}`].join("\n"));
    copy("cgroup-v1", join(cgroups, "cpuacct", "docker", ID), ["cpuacct.usage"]);
    copy("cgroup-v1", join(cgroups, "memory", "docker", ID), ["memory.usage_in_bytes", "memory.stat"]);
  } else {
    mkdirSync(cgroups, { recursive: true });
    writeFileSync(join(cgroups, "cgroup.controllers"), "cpuset cpu io memory pids\n");
    const path = layout === "v2-systemd" ? `/system.slice/docker-${ID}.scope` : `/docker/${ID}`;
    writeFileSync(join(proc, String(pid), "cgroup"), `0::${path}\n`);
    copy("cgroup-v2", join(cgroups, path), ["cpu.stat", "memory.current", "memory.stat"]);
  }
  return { reader: new CgroupReader(cgroups, proc, () => AT), pid };
}

describe("CgroupReader", () => {
  it("parses /proc/PID/cgroup: each v1 controller's path and the unified one", () => {
    const parsed = parseProcCgroup(`12:cpu,cpuacct:/docker/a\n4:memory:/docker/b\n1:name=systemd:/docker/c\n0::/docker/d\n`);
    expect(Object.fromEntries(parsed.v1)).to.deep.equal({ cpu: "/docker/a", cpuacct: "/docker/a", memory: "/docker/b", "name=systemd": "/docker/c" });
    expect(parsed.unified).to.equal("/docker/d");
  });

  for (const layout of ["v2-systemd", "v2-cgroupfs"] as const) {
    it(`reads a container's cgroup v2 files through its process (${layout} driver)`, async () => {
      const { reader, pid } = machine(layout);
      expect(await reader.read(pid, ID)).to.deep.equal({ cpuNanos: 2_843_559_000, memoryBytes: 71_593_984 - 1_998_848, atMs: AT });
    });
  }

  it("reads a container's cgroup v1 files on a hybrid host (the unified hierarchy there has no controllers)", async () => {
    const { reader, pid } = machine("v1");
    expect(await reader.read(pid, ID)).to.deep.equal({ cpuNanos: 62_349_619, memoryBytes: 819_200 - 118_784, atMs: AT });
  });

  it("refuses a process that is not in the container's cgroup (a PID reused after the container stopped)", async () => {
    const { reader, pid } = machine("v2-cgroupfs");
    await reader.read(pid, "0123456789ab").then(
      () => expect.fail("read another container's process"),
      (error: Error) => expect(error.message).to.contain("is not in container 0123456789ab's cgroup"),
    );
  });

  it("rejects a process that is gone", async () => {
    const { reader } = machine("v1");
    await reader.read(999_999, ID).then(
      () => expect.fail("read a missing process"),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal("ENOENT"),
    );
  });
});
