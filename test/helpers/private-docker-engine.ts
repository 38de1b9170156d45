import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { eventually, startProcess, type TestProcess } from "./processes.js";
import { tempDir } from "./temp-dir.js";

const run = promisify(execFile);

/**
 * A Docker Engine of the test's own, so that a test can stop and restart an engine without touching the machine's:
 * its own socket, data and state directories, and its own network namespace (`unshare --net`, which then execs
 * dockerd, so the PID is the engine's): its bridge and firewall rules cannot disturb the machine's engine.
 */
export class PrivateDockerEngine {
  private readonly dir = tempDir("dockerd");
  private process?: TestProcess;
  readonly socket = join(this.dir.path, "docker.sock");
  readonly env = { DOCKER_HOST: `unix://${this.socket}` };

  async start(): Promise<void> {
    this.process = startProcess("private dockerd", "unshare", [
      "--net",
      "dockerd",
      "--host", `unix://${this.socket}`,
      "--data-root", join(this.dir.path, "root"),
      "--exec-root", join(this.dir.path, "exec"),
      "--pidfile", join(this.dir.path, "docker.pid"),
    ]);
    await eventually("the private engine", async () => ((await this.docker("info")).length > 0 ? true : undefined), 30_000);
  }

  /** Stops the engine as `systemctl stop docker` would (SIGTERM to its PID); its containers stop with it. */
  async stop(): Promise<void> {
    await this.process?.kill("SIGTERM");
    this.process = undefined;
  }

  async docker(...args: string[]): Promise<string> {
    return (await run("docker", args, { env: { ...process.env, ...this.env } })).stdout;
  }

  /** Copies an image of the machine's engine into this one. */
  async copyImage(image: string): Promise<void> {
    await run("sh", ["-c", `docker save ${image} | DOCKER_HOST=${this.env.DOCKER_HOST} docker load`]);
  }

  async remove(): Promise<void> {
    if (this.process) {
      const ids = (await this.docker("ps", "-aq")).split("\n").filter(Boolean);
      if (ids.length > 0) await this.docker("rm", "-f", ...ids);
      await this.stop();
    }
    try {
      rmSync(this.dir.path, { recursive: true, force: true });
    } catch {
      // A mount the engine left behind: the temporary directory stays.
    }
  }
}
