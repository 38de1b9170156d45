import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseServerArgs, UsageError } from "../../src/server/parse-server-args.js";

const TOKEN = "a-token-of-20-chars!";

describe("parseServerArgs", () => {
  const usageError = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    try {
      parseServerArgs(argv, env);
    } catch (error) {
      expect(error).to.be.instanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error(`accepted ${argv.join(" ")}`);
  };

  it("reads a leader's flags, with the documented defaults: no secret given (the leader keeps or makes its own)", () => {
    const command = parseServerArgs(["leader", "--name", "main"], {});
    expect(command.mode).to.equal("leader");
    if (command.mode !== "leader") return;
    expect(command.warnings).to.deep.equal([]);
    expect(command.config).to.deep.include({
      token: undefined,
      adminPassword: undefined,
      tlsSans: [],
      certificateLifetimeMs: 30 * 86_400_000,
      name: "main",
      listen: { host: "0.0.0.0", port: 4242 },
      heartbeatGraceMs: 15_000,
      usageIntervalMs: 10_000,
      // Loopback by default; a port another server of this machine holds is then said, not fatal.
      metrics: { listen: { host: "127.0.0.1", port: 9442 }, given: false },
      web: { listen: { host: "0.0.0.0", port: 4280 }, given: false },
    });
    expect(command.config.dataDir).to.match(/\.cube\/data$/);
  });

  it("reads every flag from its environment variable, flags winning", () => {
    const env = {
      CUBE_TOKEN: "from-env-0123456789",
      CUBE_LEADER: "10.0.0.1:4242",
      CUBE_LISTEN: "0.0.0.0:5000",
      CUBE_ADVERTISE: "10.0.0.9:5000",
      CUBE_DATA_DIR: "/var/lib/cube",
      CUBE_NAME: "env-name",
      CUBE_LABELS: "zone=a, disk=ssd",
      CUBE_USAGE_INTERVAL: "30s",
      CUBE_METRICS_LISTEN: "0.0.0.0:9100",
    };
    const command = parseServerArgs(["follower", "--name", "flag-name"], env);
    expect(command).to.deep.equal({
      mode: "follower",
      warnings: [],
      config: {
        token: "from-env-0123456789",
        leaders: [{ host: "10.0.0.1", port: 4242 }],
        listen: { host: "0.0.0.0", port: 5000 },
        advertise: { host: "10.0.0.9", port: 5000 },
        dataDir: "/var/lib/cube",
        name: "flag-name",
        restart: { initialBackoffSeconds: 1, maxBackoffSeconds: 30, resetAfterSeconds: 60, maxFailures: 5 },
        warmSandboxes: { least: 3, most: 16 },
        usageIntervalMs: 30_000,
        metrics: { listen: { host: "0.0.0.0", port: 9100 }, given: true },
        labels: { zone: "a", disk: "ssd" },
      },
    });
  });

  it("reads node labels (repeatable), placement, the auto host port range and whether host paths are allowed", () => {
    const command = parseServerArgs(
      [
        "leader",
        "--token",
        TOKEN,
        "--label",
        "zone=a",
        "--label",
        "cube.dev/gpu=yes",
        "--placement",
        "binpack",
        "--host-port-range",
        "40000-40100",
        "--allow-host-paths",
        "--allow-host-network",
        "--allow-capabilities",
        "--pod-cidr",
        "10.50.0.0/20",
        "--pod-network",
        "host-gw",
      ],
      {},
    );
    expect(command.mode === "leader" && command.config).to.deep.include({
      labels: { zone: "a", "cube.dev/gpu": "yes" },
      placement: { policy: "binpack", hostPortRange: { first: 40000, last: 40100 } },
      allowHostPaths: true,
      allowHostNetwork: true,
      allowCapabilities: true,
      podCidr: "10.50.0.0/20",
      podNetwork: "host-gw",
    });
    const defaults = parseServerArgs(["leader", "--token", TOKEN], {});
    expect(defaults.mode === "leader" && defaults.config).to.deep.include({
      labels: {},
      placement: { policy: "spread", hostPortRange: { first: 30000, last: 32767 } },
      allowHostPaths: false,
      allowHostNetwork: false,
      allowCapabilities: false,
      podCidr: "10.42.0.0/16",
      podNetwork: "vxlan",
      maxEventsPerPod: 300,
    });
    expect(usageError(["leader", "--token", TOKEN, "--pod-network", "flannel"])).to.equal('--pod-network must be vxlan or host-gw, got "flannel"');
    expect(usageError(["leader", "--token", TOKEN, "--max-events-per-pod", "0"])).to.equal(
      '--max-events-per-pod must be a whole number of at least 1, got "0"',
    );
  });

  it("refuses a bad label, placement or port range in one line", () => {
    expect(usageError(["leader", "--token", TOKEN, "--label", "zone"])).to.equal(
      "--label must be KEY=VALUE, a label (letters, digits, '-', '_', '.'), got \"zone\"",
    );
    expect(usageError(["leader", "--token", TOKEN, "--label", "bad key=1"])).to.match(/^--label must be KEY=VALUE/);
    expect(usageError(["leader", "--token", TOKEN, "--placement", "random"])).to.equal('--placement must be spread or binpack, got "random"');
    expect(usageError(["leader", "--token", TOKEN, "--host-port-range", "9-3"])).to.equal('--host-port-range must be FIRST-LAST within 1-65535, got "9-3"');
    expect(usageError(["leader", "--token", TOKEN, "--pod-cidr", "10.42.0.0/25"])).to.equal(
      '--pod-cidr must be an IPv4 network of /24 or larger, such as 10.42.0.0/16, got "10.42.0.0/25"',
    );
    expect(usageError(["leader", "--token", TOKEN, "--pod-cidr", "10.42.0.1/16"])).to.match(/^--pod-cidr must be an IPv4 network/);
  });

  it("reads the restart and reschedule settings", () => {
    const command = parseServerArgs(
      [
        "leader",
        "--token",
        TOKEN,
        "--restart-backoff",
        "500ms",
        "--restart-backoff-max",
        "1m",
        "--restart-reset-after",
        "2m",
        "--restart-max-failures",
        "3",
        "--reschedule-delay",
        "30s",
        "--warm-sandboxes",
        "0",
      ],
      {},
    );
    expect(command.mode === "leader" && command.config).to.deep.include({
      restart: { initialBackoffSeconds: 0.5, maxBackoffSeconds: 60, resetAfterSeconds: 120, maxFailures: 3 },
      rescheduleDelayMs: 30_000,
      warmSandboxes: { least: 0, most: 0 },
    });
    const pool = (...args: string[]) => {
      const parsed = parseServerArgs(["leader", "--token", TOKEN, ...args], {});
      return parsed.mode === "leader" && parsed.config.warmSandboxes;
    };
    expect(pool("--warm-sandboxes", "20")).to.deep.equal({ least: 20, most: 20 });
    expect(pool("--warm-sandboxes", "0", "--warm-sandboxes-max", "8")).to.deep.equal({ least: 0, most: 8 });
    expect(pool("--warm-sandboxes-max", "3")).to.deep.equal({ least: 3, most: 3 });
    expect(usageError(["leader", "--token", TOKEN, "--warm-sandboxes", "5", "--warm-sandboxes-max", "2"])).to.equal(
      "--warm-sandboxes-max (2) is below --warm-sandboxes (5)",
    );
    expect(() => parseServerArgs(["leader", "--token", TOKEN, "--restart-max-failures", "0"], {})).to.throw(/--restart-max-failures must be a whole number/);
    expect(usageError(["leader", "--token", TOKEN, "--warm-sandboxes", "two"])).to.equal('--warm-sandboxes must be a whole number of at least 0, got "two"');
    expect(parseServerArgs(["leader", "--token", TOKEN, "--metrics-listen", "off"], {})).to.have.nested.property("config.metrics", undefined);
    const web = parseServerArgs(["leader", "--token", TOKEN, "--web-listen", "127.0.0.1:8443"], {});
    expect(web.mode === "leader" && web.config.web).to.deep.equal({ listen: { host: "127.0.0.1", port: 8443 }, given: true });
    expect(usageError(["leader", "--token", TOKEN, "--metrics-listen", "9442"])).to.match(/^--metrics-listen/);
    expect(usageError(["leader", "--token", TOKEN, "--usage-interval", "often"])).to.equal(
      '--usage-interval must be a positive duration such as 15s or 1m, got "often"',
    );
  });

  it("requires a follower's token and leader address", () => {
    expect(usageError(["follower", "--leader", "h:1"])).to.equal(
      "--token-file is required (or set CUBE_TOKEN): the leader's full join token is in its DATA_DIR/join-token",
    );
    expect(usageError(["follower", "--token", TOKEN])).to.equal("--leader is required (or set CUBE_LEADER)");
  });

  it("warns of a secret on the command line (every local user reads it there), not of one in a file or the environment", () => {
    const command = parseServerArgs(["leader", "--token", TOKEN, "--admin-password", "admin-password-0123"], {});
    expect(command.mode === "leader" && command.warnings).to.deep.equal([
      "--token is on the command line, where every local user can read it (ps, /proc/PID/cmdline): use --token-file or $CUBE_TOKEN",
      "--admin-password is on the command line, where every local user can read it (ps, /proc/PID/cmdline): use --admin-password-file or $CUBE_ADMIN_PASSWORD",
    ]);
    const fromEnv = parseServerArgs(["follower", "--leader", "h:1"], { CUBE_TOKEN: TOKEN });
    expect(fromEnv.mode === "follower" && fromEnv.warnings).to.deep.equal([]);
  });

  it("reads a PostgreSQL store (flag, file or environment) and the leaders' addresses; refuses another URL, and --leader without a store", () => {
    const dir = mkdtempSync(join(tmpdir(), "store-flag-"));
    try {
      const url = "postgres://cube:a-password-of-20-chars@db.example:5432/cube";
      writeFileSync(join(dir, "store"), `${url}\n`);
      const fromFile = parseServerArgs(["leader", "--store-file", join(dir, "store"), "--leader", "10.0.0.1:4242,10.0.0.2:4242"], {});
      if (fromFile.mode !== "leader") throw new Error("not a leader");
      expect(fromFile.config).to.deep.include({
        store: url,
        leaders: [
          { host: "10.0.0.1", port: 4242 },
          { host: "10.0.0.2", port: 4242 },
        ],
      });
      expect(fromFile.warnings).to.deep.equal([]);
      const fromEnv = parseServerArgs(["leader"], { CUBE_STORE: url });
      expect(fromEnv.mode === "leader" && [fromEnv.config.store, fromEnv.config.leaders, fromEnv.warnings]).to.deep.equal([url, [], []]);
      const onCommandLine = parseServerArgs(["leader", "--store", url], {});
      expect(onCommandLine.mode === "leader" && onCommandLine.warnings).to.deep.equal([
        "--store holds a password on the command line, where every local user can read it (ps, /proc/PID/cmdline): use --store-file or $CUBE_STORE",
      ]);
      const sqlite = parseServerArgs(["leader"], {});
      expect(sqlite.mode === "leader" && [sqlite.config.store, sqlite.config.leaders]).to.deep.equal([undefined, undefined]);
      expect(usageError(["leader", "--store", "mysql://db/cube"])).to.match(
        /^--store mysql:\/\/ is not read: give postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/,
      );
      expect(usageError(["leader", "--store", "db.example"])).to.match(/^--store is not a URL/);
      expect(usageError(["leader", "--leader", "10.0.0.1:4242"])).to.match(/^--leader is for leaders sharing a --store postgres:\/\/…/);
      expect(usageError(["leader", "--store", url, "--store-file", join(dir, "store")])).to.equal("give --store or --store-file, not both");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes a certificate lifetime from seconds to years, within the CA's", () => {
    for (const [given, ms] of [
      ["6s", 6000],
      ["400d", 400 * 86_400_000],
      ["1825d", 1825 * 86_400_000],
    ] as const) {
      const command = parseServerArgs(["leader", "--cert-lifetime", given], {});
      expect(command.mode === "leader" && command.config.certificateLifetimeMs, given).to.equal(ms);
    }
    for (const given of ["4s", "1826d"])
      expect(usageError(["leader", "--cert-lifetime", given])).to.equal(`--cert-lifetime must be from 5s to 5 years (1825d), got "${given}"`);
  });

  it("rejects unknown modes and flags, bad addresses and bad durations in one line", () => {
    expect(usageError(["boss"])).to.match(/unknown mode "boss"/);
    expect(usageError(["leader", "--token", TOKEN, "--advertise", "x:1"])).to.match(/Unknown option '--advertise'/);
    expect(usageError(["follower", "--token", TOKEN, "--leader", "nowhere"])).to.match(/--leader must be HOST:PORT/);
    expect(usageError(["follower", "--token", TOKEN, "--leader", "a:4242,nowhere"])).to.match(/--leader must be HOST:PORT/);
    const several = parseServerArgs(["follower", "--token", TOKEN, "--leader", "10.0.0.1:4242, 10.0.0.2:4242,10.0.0.3:4242"], {});
    expect(several.mode === "follower" && several.config.leaders.map((leader) => `${leader.host}:${leader.port}`)).to.deep.equal([
      "10.0.0.1:4242",
      "10.0.0.2:4242",
      "10.0.0.3:4242",
    ]);
    expect(usageError(["leader", "--token", TOKEN, "--heartbeat-grace", "soon"])).to.match(/--heartbeat-grace must be a positive duration/);
    for (const message of [usageError(["leader", "--token"])]) expect(message).to.not.contain("\n");
  });

  it("refuses a token or admin password under 16 characters unless told to accept the risk", () => {
    expect(usageError(["leader", "--token", "short"])).to.match(/^--token has 5 characters, fewer than 16: .* --insecure-short-token$/);
    expect(usageError(["leader", "--token", TOKEN, "--admin-password", "short"])).to.match(/^--admin-password has 5 characters/);
    const command = parseServerArgs(["leader", "--token", "short", "--insecure-short-token"], {});
    expect(command.mode === "leader" && command.config.token).to.equal("short");
    // A follower's full token is measured by its secret.
    expect(usageError(["follower", "--leader", "h:1", "--token", `CUBE1-${"ab".repeat(32)}-short`])).to.match(/^--token has 5 characters/);
  });

  it("reads the token from a file, never from both places, and separates the admin password", () => {
    const dir = mkdtempSync(join(tmpdir(), "cube-token-"));
    try {
      writeFileSync(join(dir, "token"), `${TOKEN}\n`);
      const command = parseServerArgs(
        ["leader", "--token-file", join(dir, "token"), "--admin-password", "admin-password-0123", "--tls-san", "a.example, 10.1.2.3"],
        {},
      );
      expect(command.mode === "leader" && command.config).to.deep.include({
        token: TOKEN,
        adminPassword: "admin-password-0123",
        tlsSans: ["a.example", "10.1.2.3"],
      });
      writeFileSync(join(dir, "admin"), "admin-password-from-file\n");
      const fromFiles = parseServerArgs(["leader", "--token-file", join(dir, "token"), "--admin-password-file", join(dir, "admin")], {});
      expect(fromFiles.mode === "leader" && fromFiles.config).to.deep.include({ token: TOKEN, adminPassword: "admin-password-from-file" });
      expect(fromFiles.mode === "leader" && fromFiles.warnings).to.deep.equal([]);
      expect(usageError(["leader", "--token-file", join(dir, "token"), "--token", TOKEN])).to.equal("give --token or --token-file, not both");
      expect(usageError(["leader", "--token-file", join(dir, "absent")])).to.match(/^cannot read --token-file .*absent \(ENOENT\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers help", () => {
    expect(parseServerArgs([], {})).to.deep.equal({ mode: "help" });
    expect(parseServerArgs(["follower", "--help"], {})).to.deep.equal({ mode: "help" });
  });
});
