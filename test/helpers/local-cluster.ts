import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { removeNodeContainers } from "./docker.js";
import { eventually, projectRoot, runCube, startProcess, type CliResult, type TestProcess } from "./processes.js";
import { tempDir } from "./temp-dir.js";

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
  containers: { name: string; state: string; reason?: string; containerId?: string; exitCode?: number; message?: string; restartCount: number }[];
  events: { type: string; reason: string; message: string; node: string }[];
}

/** Real cube-server processes on loopback, each with its own data directory, and a CLI config pointing at them. */
export class LocalCluster {
  readonly dir = tempDir("cluster");
  readonly token = "test-token-" + Math.random().toString(36).slice(2);
  readonly processes: TestProcess[] = [];
  /** Node names used, whose Docker containers `stop` removes. */
  readonly nodeNames = new Set<string>();
  leaderPort = 0;
  /** The leader last started. */
  leaderProcess?: TestProcess;

  constructor(
    readonly graceSeconds = 2,
    /** Flags added to every leader this cluster starts. */
    readonly leaderArgs: string[] = [],
  ) {}

  private server(label: string, args: string[], env: NodeJS.ProcessEnv = {}): TestProcess {
    this.nodeNames.add(args[args.indexOf("--name") + 1]);
    const process = startProcess(label, "node", [join(projectRoot, "bin", "cube-server.js"), ...args], env);
    this.processes.push(process);
    return process;
  }

  /** Starts the leader (on `port`, or a free one the first time) and waits until it listens. */
  async startLeader(name = "main", port = this.leaderPort, extraArgs: string[] = this.leaderArgs): Promise<TestProcess> {
    const leader = this.server(`leader ${name}`, [
      "leader",
      "--token", this.token,
      "--listen", `127.0.0.1:${port}`,
      "--data-dir", join(this.dir.path, name),
      "--name", name,
      "--heartbeat-grace", `${this.graceSeconds}s`,
      ...extraArgs,
    ]);
    const listening = await leader.waitForLine(/\[leader\] listening on 127\.0\.0\.1:(\d+)/);
    this.leaderPort = Number(/127\.0\.0\.1:(\d+)/.exec(listening)![1]);
    this.leaderProcess = leader;
    return leader;
  }

  startFollower(name: string, options: { token?: string; dataDir?: string; env?: NodeJS.ProcessEnv } = {}): TestProcess {
    return this.server(`follower ${name}`, [
      "follower",
      "--leader", `127.0.0.1:${this.leaderPort}`,
      "--token", options.token ?? this.token,
      "--listen", "127.0.0.1:0",
      "--data-dir", join(this.dir.path, options.dataDir ?? name),
      "--name", name,
    ], options.env);
  }

  /** The environment that points the CLI at this cluster; its config file is written once per leader port and password. */
  cliEnv(password = this.token): NodeJS.ProcessEnv {
    const path = join(this.dir.path, `config-${this.leaderPort}-${password}`);
    if (!existsSync(path)) writeFileSync(path, JSON.stringify({ leaderUrl: `127.0.0.1:${this.leaderPort}`, password }));
    return { CUBE_CONFIG: path };
  }

  cube(args: string[], password?: string, stdin?: string): Promise<CliResult> {
    return runCube(args, this.cliEnv(password), stdin);
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
  waitForPodStatus(name: string, status: string, timeoutMs = 30_000): Promise<PodJson> {
    return eventually(`pod/${name} ${status}`, async () => {
      const pod = await this.pod(name);
      return pod.status === status ? pod : undefined;
    }, timeoutMs);
  }

  async nodes(): Promise<NodeRow[]> {
    const result = await this.cube(["nodes", "-o", "json"]);
    expect(result.code, result.stderr).to.equal(0);
    return (JSON.parse(result.stdout) as NodeRow[]).map(({ name, status, type }) => ({ name, status, type }));
  }

  /** Waits until `cube nodes` lists exactly `expected`. */
  waitForNodes(expected: NodeRow[], timeoutMs = 20_000): Promise<NodeRow[]> {
    const key = (rows: NodeRow[]) => JSON.stringify([...rows].sort((a, b) => a.name.localeCompare(b.name)));
    return eventually(`nodes ${key(expected)}`, async () => {
      const rows = await this.nodes();
      return key(rows) === key(expected) ? rows : undefined;
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((process) => process.kill("SIGTERM")));
    await removeNodeContainers([...this.nodeNames]);
    this.dir.remove();
  }
}
