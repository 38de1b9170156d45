import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "./processes.js";

const run = promisify(execFile);
const script = join(projectRoot, "scripts", "test-hosts.sh");
/** Where the tests' beds live, one directory each, so that a bed left by a killed test run can be found and removed. */
const bedsDir = join(tmpdir(), "cube-test-hosts");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The multi-host test bed of `scripts/test-hosts.sh` for a test file: simulated hosts, each a network namespace with
 * its own Docker engine and address. Every ability is the script's own; this class only gives each test file a bed
 * of its own and the commands to run things on its hosts.
 */
export class TestHosts {
  private constructor(
    readonly dir: string,
    readonly count: number,
  ) {}

  /**
   * Brings up `count` hosts (first removing the beds of test runs that died without removing theirs), each engine
   * holding the machine's `images` (by default the script's: cube-test/busybox).
   */
  static async up(count: number, images?: string[]): Promise<TestHosts> {
    mkdirSync(bedsDir, { recursive: true });
    for (const name of readdirSync(bedsDir)) {
      const dir = join(bedsDir, name);
      const owner = Number(existsSync(join(dir, "owner")) ? readFileSync(join(dir, "owner"), "utf8") : 0);
      if (!isAlive(owner)) await run(script, ["down"], { env: { ...process.env, CUBE_HOSTS_DIR: dir } });
    }
    const dir = join(bedsDir, `${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "owner"), String(process.pid));
    const hosts = new TestHosts(dir, count);
    try {
      await run(script, ["up", String(count)], {
        env: { ...process.env, CUBE_HOSTS_DIR: dir, ...(images ? { CUBE_HOSTS_IMAGES: images.join(" ") } : {}) },
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      await hosts.down();
      throw error;
    }
    return hosts;
  }

  private async script(...args: string[]): Promise<string> {
    return (await run(script, args, { env: { ...process.env, CUBE_HOSTS_DIR: this.dir }, maxBuffer: 64 * 1024 * 1024 })).stdout;
  }

  /** The host's address on the bed's network. */
  address(host: number): string {
    return readFileSync(join(this.dir, `h${host}`, "address"), "utf8").trim();
  }

  /**
   * The command line that runs `command` on `host`, with DOCKER_HOST set to the host's engine. Each step execs the
   * next, so the PID of the process started from it is the command's own.
   */
  on(host: number, command: string, args: string[]): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
    return { command: script, args: ["exec", String(host), command, ...args], env: { CUBE_HOSTS_DIR: this.dir } };
  }

  /** Runs the Docker CLI against the host's engine; resolves with its stdout. */
  docker(host: number, ...args: string[]): Promise<string> {
    return this.run(host, "docker", ...args);
  }

  /** Runs a command on the host (in its network namespace); resolves with its stdout. */
  run(host: number, command: string, ...args: string[]): Promise<string> {
    return this.script("exec", String(host), command, ...args);
  }

  /** Cuts the host off the network: its link on the bridge goes down; its processes go on running. */
  partition(host: number): Promise<string> {
    return this.script("partition", String(host));
  }

  heal(host: number): Promise<string> {
    return this.script("heal", String(host));
  }

  /** Stops the host's Docker engine as `systemctl stop docker` would; its containers stop with it. */
  stopEngine(host: number): Promise<string> {
    return this.script("engine-stop", String(host));
  }

  startEngine(host: number): Promise<string> {
    return this.script("engine-start", String(host));
  }

  /** Records every packet between the hosts into `file` (pcap), until `stopCapture`. */
  startCapture(file: string): Promise<string> {
    return this.script("capture-start", file);
  }

  stopCapture(): Promise<string> {
    return this.script("capture-stop");
  }

  /** Ends every process and engine of the bed and removes its namespaces and data. */
  async down(): Promise<void> {
    await this.script("down");
  }
}
