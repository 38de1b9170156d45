import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/cli/config.js";
import type { LeaderClient } from "../../src/cli/leader-client.js";
import { openLeaderClient } from "../../src/cli/leader-trust.js";
import { expect } from "chai";
import { removeKeyedVolumes, removeNodeLeftovers } from "./docker.js";
import { eventually, projectRoot, runCube, runProgram, startProcess, type CliResult, type TestProcess } from "./processes.js";
import { tempDir } from "./temp-dir.js";
import type { TestHosts } from "./test-hosts.js";

export interface NodeRow {
  name: string;
  status: string;
  type: string;
}

export interface PodJson {
  manifest: unknown;
  node: string | null;
  status: string;
  message?: string;
  containers: {
    name: string;
    state: string;
    reason?: string;
    containerId?: string;
    exitCode?: number;
    message?: string;
    restartCount: number;
    ready?: boolean;
  }[];
  ready?: boolean;
  events: { type: string; reason: string; message: string; node: string }[];
  ports: { container: string; containerPort: number; protocol: string; hostAddress: string; hostPort: number }[];
}

/**
 * Real cube-server processes, each with its own data directory, and a CLI config pointing at them: on loopback,
 * sharing the machine's Docker engine, or, given a multi-host test bed, each on a host of its own (its own address
 * and engine), with the CLI run on the leader's host.
 */
export class LocalCluster {
  readonly dir = tempDir("cluster");
  readonly token = "test-token-" + Math.random().toString(36).slice(2);
  readonly processes: TestProcess[] = [];
  /** Node names used, whose Docker containers `stop` removes. */
  readonly nodeNames = new Set<string>();
  leaderPort = 0;
  /** The host the leader runs on (always 1 on loopback). */
  leaderHost = 1;
  /** The leader last started, and its node's name (its data directory's). */
  leaderProcess?: TestProcess;
  leaderName = "main";
  /** What the CLI's config names as `leaderUrl` (several leaders, comma-separated); by default the leader last started. */
  leaderUrl?: string;

  constructor(
    readonly graceSeconds = 2,
    /** Flags added to every leader this cluster starts. */
    readonly leaderArgs: string[] = [],
    /** A multi-host test bed: each server then runs on a host of its own. */
    readonly hosts?: TestHosts,
  ) {}

  /** The address of a host: loopback without a test bed. */
  hostAddress(host: number): string {
    return this.hosts ? this.hosts.address(host) : "127.0.0.1";
  }

  get leaderAddress(): string {
    return `${this.hostAddress(this.leaderHost)}:${this.leaderPort}`;
  }

  private server(label: string, args: string[], env: NodeJS.ProcessEnv = {}, host = 1): TestProcess {
    this.nodeNames.add(args[args.indexOf("--name") + 1]);
    // Every server serves its metrics, and a leader its web view, on ports of their own: several share this loopback.
    const metrics = args.includes("--metrics-listen") ? [] : ["--metrics-listen", "127.0.0.1:0"];
    const web = args[0] !== "leader" || args.includes("--web-listen") ? [] : ["--web-listen", "127.0.0.1:0"];
    const command = [join(projectRoot, "bin", "cube-server.js"), ...args, ...metrics, ...web];
    const process = this.hosts
      ? (({ command: wrapper, args: wrapped, env: bed }) => startProcess(label, wrapper, wrapped, { ...bed, ...env }))(this.hosts.on(host, "node", command))
      : startProcess(label, "node", command, env);
    this.processes.push(process);
    return process;
  }

  /** Starts the leader (on `port`, or a free one the first time) and waits until it listens. */
  async startLeader(
    name = "main",
    port = this.leaderPort,
    extraArgs: string[] = this.leaderArgs,
    host = this.leaderHost,
    env: NodeJS.ProcessEnv = {},
  ): Promise<TestProcess> {
    const address = this.hostAddress(host);
    const leader = this.startLeaderProcess(name, `${address}:${port}`, extraArgs, host, env);
    const listening = new RegExp(`\\[leader\\] listening on ${address.replaceAll(".", "\\.")}:(\\d+)`);
    this.leaderPort = Number(listening.exec(await leader.waitForLine(listening))![1]);
    // Said once the admin config and the join token are written (just after it starts listening).
    await leader.waitForLine(/\[leader\] join token/);
    this.leaderHost = host;
    this.leaderProcess = leader;
    this.leaderName = name;
    return leader;
  }

  /** Starts a leader process listening on `listen`, without waiting (one of several leaders may stand by). */
  startLeaderProcess(name: string, listen: string, extraArgs: string[] = this.leaderArgs, host = this.leaderHost, env: NodeJS.ProcessEnv = {}): TestProcess {
    const args = ["leader", "--listen", listen, "--data-dir", join(this.dir.path, name), "--name", name, "--heartbeat-grace", `${this.graceSeconds}s`];
    return this.server(`leader ${name}`, [...args, ...extraArgs], { CUBE_TOKEN: this.token, ...env }, host);
  }

  /** Starts a follower; on a test bed, on `host`, listening on every address of the host unless `listen` says otherwise. */
  startFollower(
    name: string,
    options: {
      token?: string;
      dataDir?: string;
      env?: NodeJS.ProcessEnv;
      host?: number;
      listen?: string;
      advertise?: string;
      leader?: string;
      extraArgs?: string[];
    } = {},
  ): TestProcess {
    return this.server(
      `follower ${name}`,
      [
        "follower",
        "--leader",
        options.leader ?? this.leaderAddress,
        "--listen",
        options.listen ?? (this.hosts ? "0.0.0.0:4243" : "127.0.0.1:0"),
        ...(options.advertise ? ["--advertise", options.advertise] : []),
        "--data-dir",
        join(this.dir.path, options.dataDir ?? name),
        "--name",
        name,
        ...(options.extraArgs ?? []),
      ],
      { CUBE_TOKEN: options.token ?? this.token, ...options.env },
      options.host,
    );
  }

  /** Where a server serves its metrics, as it said when it started (on its host's loopback). */
  async metricsUrl(server: TestProcess): Promise<string> {
    return /metrics at (http:\S+)/.exec(await server.waitForLine(/metrics at http:/))![1];
  }

  /** Where a leader serves its web view, as it said when it started. */
  async webUrl(leader: TestProcess): Promise<string> {
    return /web view at (https:\S+)/.exec(await leader.waitForLine(/web view at https:/))![1];
  }

  /** The admin password the leader made at its first start (kept in its data directory, in its admin config). */
  adminPassword(): string {
    return (JSON.parse(readFileSync(join(this.dir.path, this.leaderName, "admin-config.json"), "utf8")) as { password: string }).password;
  }

  /** The environment that points the CLI at this cluster; its config file is written once per leader address and password. */
  cliEnv(password = this.adminPassword()): NodeJS.ProcessEnv {
    const leaderUrl = this.leaderUrl ?? this.leaderAddress;
    const path = join(this.dir.path, `config-${leaderUrl}-${password}`);
    if (!existsSync(path)) writeFileSync(path, JSON.stringify({ leaderUrl, password }));
    return { CUBE_CONFIG: path };
  }

  /** A client of the leader's admin API, in this process, with the CLI's config and pinned CA. */
  leaderClient(): Promise<LeaderClient> {
    const path = this.cliEnv().CUBE_CONFIG!;
    return openLeaderClient(loadConfig(path), path);
  }

  /** Runs the CLI, on the leader's host (or `options.host`) when the cluster is on a test bed; `options.env` replaces the cluster's CLI config. */
  cube(args: string[], password?: string, stdin?: string, options: { host?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    const env = options.env ?? this.cliEnv(password);
    if (!this.hosts) return runCube(args, env, stdin);
    const host = options.host ?? this.leaderHost;
    const { command, args: wrapped, env: bed } = this.hosts.on(host, process.execPath, [join(projectRoot, "bin", "run.js"), ...args]);
    return runProgram(command, wrapped, { ...bed, ...env }, stdin);
  }

  /** Writes `resources` as the manifest FILE.json in the cluster's directory and `cube apply`s it; its output. */
  apply(file: string, resources: unknown): Promise<string> {
    const path = join(this.dir.path, `${file}.json`);
    writeFileSync(path, JSON.stringify(resources));
    return this.cubeOk("apply", path);
  }

  /** Runs `cube` and expects it to succeed. */
  async cubeOk(...args: string[]): Promise<string> {
    const result = await this.cube(args);
    expect(result.code, `cube ${args.join(" ")}: ${result.stderr}`).to.equal(0);
    return result.stdout;
  }

  /** `cube get pod/NAME -o json`. */
  async pod(name: string): Promise<PodJson> {
    return JSON.parse(await this.cubeOk("get", `pod/${name}`, "-o", "json")) as PodJson;
  }

  /** Waits until the pod's status is `status`. */
  async waitForPodStatus(name: string, status: string, timeoutMs = 30_000): Promise<PodJson> {
    const seen: string[] = []; // each status it went through, for a failure to say where the pod stood
    try {
      return await eventually(
        `pod/${name} ${status}`,
        async () => {
          const pod = await this.pod(name);
          const now = `${pod.status}${pod.message ? ` (${pod.message})` : ""}`;
          if (seen.at(-1) !== now) seen.push(now);
          return pod.status === status ? pod : undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; it went through: ${seen.join(" → ") || "nothing (never listed)"}`);
    }
  }

  async nodes(): Promise<NodeRow[]> {
    const result = await this.cube(["nodes", "-o", "json"]);
    expect(result.code, result.stderr).to.equal(0);
    return (JSON.parse(result.stdout) as NodeRow[]).map(({ name, status, type }) => ({ name, status, type }));
  }

  /** Waits until `cube nodes` lists exactly `expected`. */
  waitForNodes(expected: NodeRow[], timeoutMs = 20_000): Promise<NodeRow[]> {
    const key = (rows: NodeRow[]) => JSON.stringify([...rows].sort((a, b) => a.name.localeCompare(b.name)));
    return eventually(
      `nodes ${key(expected)}`,
      async () => {
        const rows = await this.nodes();
        return key(rows) === key(expected) ? rows : undefined;
      },
      timeoutMs,
    );
  }

  /** The last lines of every server's output, for a test that failed. */
  recentOutput(lines = 40): string {
    return this.processes.map((process) => `--- ${process.label}\n${process.lines.slice(-lines).join("\n")}`).join("\n");
  }

  /** Stops every server (failing if one is stuck), removes their containers and data. */
  async stop(): Promise<void> {
    const stopped = await Promise.allSettled(this.processes.map((process) => process.kill("SIGTERM")));
    // On a test bed, the containers go with the bed's engines.
    if (!this.hosts) await removeNodeLeftovers([...this.nodeNames]);
    await removeKeyedVolumes(this.dir.path);
    this.dir.remove();
    for (const outcome of stopped) if (outcome.status === "rejected") throw outcome.reason;
  }
}
