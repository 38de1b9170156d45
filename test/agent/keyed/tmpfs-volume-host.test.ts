import { expect } from "chai";
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { TmpfsVolumeHost } from "../../../src/agent/keyed/keyed-volume-host.js";
import { tempDir } from "../../helpers/temp-dir.js";

const mountedAt = (path: string) =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => line.split(" ")[4] === path)
    .map((line) => line.split(" - ")[1]?.split(" ")[0]);

// The node's own tmpfs (needs root, as the agent does): files on memory, swapped at once, gone with the last pod.
describe("TmpfsVolumeHost", () => {
  let dir: ReturnType<typeof tempDir>;
  let root: string;
  let host: TmpfsVolumeHost;
  beforeEach(() => {
    dir = tempDir("keyed-volumes");
    root = join(dir.path, "keyed-volumes");
    host = new TmpfsVolumeHost(root);
  });
  afterEach(async () => {
    for (const uid of (await host.observe()).podDirs) await host.removePod(uid);
    dir.remove();
  });

  const file = (path: string, text: string, mode = 0o400) => ({ path, mode, content: Buffer.from(text) });

  it("writes a volume on a tmpfs it mounts, mode as asked; a new version replaces every file at once; the last pod's removal unmounts it", async () => {
    expect(mountedAt(root)).to.deep.equal([]);
    await host.write({ podUid: "p1", volume: "creds", files: [file("password", "one"), file("conf/app.ini", "x=1", 0o444)], version: "v1" });
    expect(mountedAt(root)).to.deep.equal(["tmpfs"]);
    const volume = host.dirOf("p1", "creds");
    expect(readFileSync(join(volume, "password"), "utf8")).to.equal("one");
    expect(statSync(join(volume, "password")).mode & 0o777).to.equal(0o400);
    expect(statSync(join(volume, "conf/app.ini")).mode & 0o777).to.equal(0o444);
    expect((await host.observe()).written).to.deep.equal(new Map([["p1/creds", "v1"]]));

    await host.write({ podUid: "p1", volume: "creds", files: [file("password", "two")], version: "v2" });
    expect(readFileSync(join(volume, "password"), "utf8")).to.equal("two");
    expect(readlinkSync(join(volume, "..data"))).to.equal("..v2");
    expect(() => statSync(join(volume, "conf"))).to.throw(/ENOENT/);
    expect(() => statSync(join(volume, "..v1"))).to.throw(/ENOENT/);

    await host.write({ podUid: "p2", volume: "creds", files: [file("password", "three")], version: "v1" });
    await host.removePod("p1");
    expect((await host.observe()).podDirs).to.deep.equal(["p2"]);
    expect(mountedAt(root)).to.deep.equal(["tmpfs"]);
    await host.removePod("p2");
    expect(mountedAt(root)).to.deep.equal([]);
  });
});
