import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { eventually, freePort, startProcess, type TestProcess } from "./processes.js";
import { tempDir } from "./temp-dir.js";

const run = promisify(execFile);

/** A query's result as Prometheus' HTTP API gives it: a series per label set. */
export type Vector = { metric: Record<string, string>; value: [number, string] }[];

/**
 * A real Prometheus (Debian's) scraping Cube's metrics endpoints every second, as an admin's would with the README's
 * scrape config; its answers are read through its HTTP query API.
 */
export class TestPrometheus {
  private constructor(
    private readonly url: string,
    private readonly process: TestProcess,
    private readonly dir: { path: string; remove: () => void },
  ) {}

  static async start(targets: string[]): Promise<TestPrometheus> {
    const dir = tempDir("prometheus");
    const config = join(dir.path, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global: {scrape_interval: 1s, scrape_timeout: 1s}",
        "scrape_configs:",
        "  - job_name: cube",
        `    static_configs: [{targets: [${targets.map((t) => `"${t}"`).join(", ")}]}]`,
        "",
      ].join("\n"),
    );
    const port = await freePort("127.0.0.1");
    const process = startProcess("prometheus", "prometheus", [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir.path, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    const prometheus = new TestPrometheus(`http://127.0.0.1:${port}`, process, dir);
    try {
      await eventually(`every target of Prometheus up`, async () => {
        const { data } = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
        return data.activeTargets.length === targets.length && data.activeTargets.every((target) => target.health === "up") ? true : undefined;
      });
    } catch (error) {
      await prometheus.stop();
      throw error;
    }
    return prometheus;
  }

  async query(expression: string): Promise<Vector> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expression)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: Vector } };
    if (body.status !== "success") throw new Error(`${expression}: ${body.error}`);
    return body.data.result;
  }

  /** The single value of a query that sums to one series (0 when it has none). */
  async value(expression: string): Promise<number> {
    const result = await this.query(expression);
    if (result.length > 1) throw new Error(`${expression} gives ${result.length} series`);
    return result.length === 0 ? 0 : Number(result[0].value[1]);
  }

  /** Waits until `expression` holds a value that `accept` takes; that value. */
  eventually(expression: string, accept: (value: number) => boolean, timeoutMs = 20_000): Promise<number> {
    return eventually(
      `${expression} as expected`,
      async () => {
        const value = await this.value(expression);
        return accept(value) ? value : undefined;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.process.kill("SIGTERM");
    this.dir.remove();
  }
}

/** Prometheus' own linter over a scrape (`promtool check metrics`): the problems it finds, one per line. */
export async function promtoolProblems(text: string): Promise<string[]> {
  const checking = run("promtool", ["check", "metrics"]);
  checking.child.stdin!.end(text);
  const { stdout, stderr } = await checking.catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? "",
    stderr: error.stderr ?? "",
  }));
  return `${stdout}${stderr}`.split("\n").filter((line) => line.trim() !== "");
}
