import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ConfigError, configPath, leaderAddresses, loadConfig } from "../../src/cli/config.js";

describe("loadConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "cube-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const failure = (path: string) => {
    try {
      loadConfig(path);
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("loadConfig accepted a bad config");
  };

  it("reads a valid config", () => {
    const path = write("ok", `{"leaderUrl": "localhost:4242", "password": "XXX"}`);
    expect(loadConfig(path)).to.deep.equal({ leaderUrl: "localhost:4242", password: "XXX" });
  });

  it("reads several leaders, comma-separated, and refuses the list when one of them is not host:port", () => {
    const several = "10.0.0.1:4242, 10.0.0.2:4242,10.0.0.3:4242";
    expect(loadConfig(write("several", JSON.stringify({ leaderUrl: several, password: "XXX" }))).leaderUrl).to.equal(several);
    expect(leaderAddresses(several)).to.deep.equal(["10.0.0.1:4242", "10.0.0.2:4242", "10.0.0.3:4242"]);
    expect(failure(write("one-bad", JSON.stringify({ leaderUrl: "10.0.0.1:4242,nowhere", password: "XXX" })))).to.match(/"leaderUrl" must be HOST:PORT/);
  });

  it("says where the file should be and what to put in it when it is missing", () => {
    const message = failure(join(dir, "absent"));
    expect(message).to.contain(`no config file at ${join(dir, "absent")}`);
    expect(message).to.contain(`"leaderUrl"`);
  });

  it("reports a file it cannot read", () => {
    const path = join(dir, "a-directory");
    mkdirSync(path);
    expect(failure(path)).to.match(/cannot read the config file .*EISDIR/);
  });

  it("reports invalid JSON", () => {
    expect(failure(write("bad-json", `{"leaderUrl": `))).to.match(/is not valid JSON/);
  });

  it("rejects JSON that is not an object", () => {
    expect(failure(write("array", `["localhost:4242"]`))).to.match(/must hold a JSON object/);
  });

  it("names every missing key at once", () => {
    expect(failure(write("empty", `{}`))).to.match(/"leaderUrl" is missing, "password" is missing/);
  });

  it("rejects keys of the wrong type or empty", () => {
    expect(failure(write("types", `{"leaderUrl": 4242, "password": ""}`))).to.match(
      /"leaderUrl" must be a non-empty string, "password" must be a non-empty string/,
    );
  });

  it("rejects a leaderUrl that is not host:port", () => {
    expect(failure(write("url", `{"leaderUrl": "localhost", "password": "x"}`))).to.match(/"leaderUrl" must be HOST:PORT/);
  });

  it("is found at $CUBE_CONFIG, else at ~/.cube/config", () => {
    expect(configPath({ CUBE_CONFIG: "/etc/cube.json" })).to.equal("/etc/cube.json");
    expect(configPath({})).to.match(/\.cube\/config$/);
  });
});
