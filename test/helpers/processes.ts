import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

export const projectRoot = join(import.meta.dirname, "..", "..");

/** Every process a test started and has not yet seen exit: ended by PID if the test run itself exits or is stopped. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/** How long a server may take to stop after SIGTERM before the test calls it stuck. */
const STOP_TIMEOUT_MS = 15_000;

/** A process of ours (cube-server), with its output kept for assertions. */
export class TestProcess {
  readonly lines: string[] = [];
  private readonly exited: Promise<number | null>;
  private lineWaiters: (() => void)[] = [];

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    running.add(child);
    let partial = "";
    const collect = (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const complete = partial.split("\n");
      partial = complete.pop() ?? "";
      this.lines.push(...complete);
      for (const wake of this.lineWaiters.splice(0)) wake();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((resolve) =>
      child.on("exit", (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first output line matching `pattern`, waiting for it up to `timeoutMs`. */
  async waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no line matching ${pattern} in ${timeoutMs} ms; output:\n${this.lines.join("\n")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.lineWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the exit code once the process ends by itself. */
  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Sends a signal that does not end it (SIGSTOP, SIGCONT), by its PID. */
  signal(signal: NodeJS.Signals): void {
    if (running.has(this.child)) this.child.kill(signal);
  }

  /**
   * Sends `signal` to this process (by its PID) and waits for it to exit. One that has not exited 15 s after it is
   * killed (SIGKILL), and the test fails: a server must stop promptly, whatever its peers do.
   */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (!running.has(this.child)) return this.exited;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<"stuck">((resolve) => (timer = setTimeout(() => resolve("stuck"), STOP_TIMEOUT_MS)));
    const outcome = await Promise.race([this.exited, stuck]);
    clearTimeout(timer);
    if (outcome !== "stuck") return outcome;
    this.child.kill("SIGKILL");
    await this.exited;
    throw new Error(`${this.label} did not exit within ${STOP_TIMEOUT_MS / 1000} s of ${signal}; output:\n${this.lines.slice(-30).join("\n")}`);
  }
}

export function startProcess(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): TestProcess {
  const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  return new TestProcess(label, child);
}

/**
 * `count` simulated nodes (real node agents on the fake runtime, as kubemark's) in one process of their own, joined to
 * the leader at `leaderAddress`; their engines hold `image`.
 */
export function startSimulatedNodes(leaderAddress: string, token: string, count: number, namePrefix: string, image: string): TestProcess {
  const script = join(projectRoot, "test", "helpers", "simulated-nodes.ts");
  return startProcess("simulated nodes", process.execPath, ["--import", "tsx", script, leaderAddress, String(count), namePrefix, image], { CUBE_TOKEN: token });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `cube` CLI to its end. */
export function runCube(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return runProgram(process.execPath, [join(projectRoot, "bin", "run.js"), ...args], env, stdin);
}

/** Runs a program to its end, with its output kept. */
export function runProgram(command: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: projectRoot,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A TCP port free right now on `host` (loopback unless said), for a server that must be reachable before it starts. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs each cleanup step in turn, whatever the ones before it threw; then throws the first error, if any. */
export async function cleanUpInTurn(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps)
    await Promise.resolve()
      .then(step)
      .catch((error: unknown) => errors.push(error));
  if (errors.length > 0) throw errors[0];
}
