// `npm run bench [-- PART... [--runs N] [--write]]`: Cube measured against the bare Docker engine on this machine, at
// scale with simulated nodes, and against Docker Swarm on the multi-host test bed (parts below; default: all). Every
// comparison is a ratio of two things measured in the same run; figures are medians. --write (every part, one run)
// writes bench/RESULTS.md: this run's table, with the machine, the date and the commit. What the figures mean is
// written by hand in bench/ANALYSIS.md, which names the run it reads.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../test/helpers/processes.js";
import { cliLatency, podStart, swarm, throughput } from "./engine-parts.js";
import { table, type Row } from "./figures.js";
import { applyStall, deployments, nodeLoss, scale, scaleOnPostgres, shutdown, unplaceable } from "./scale-parts.js";
import { network } from "./network.js";
import { services } from "./services.js";
import { failover } from "./failover.js";
import { observability } from "./observability.js";
import { watchCost } from "./watch-cost.js";

const run = promisify(execFile);

const args = process.argv.slice(2);
const write = args.includes("--write");
const runsFlag = args.indexOf("--runs");
const runs = runsFlag >= 0 ? Number(args[runsFlag + 1]) : 5;
const chosen = args.filter((arg, i) => !arg.startsWith("--") && args[i - 1] !== "--runs");
const parts: Record<string, () => Promise<Row[]>> = {
  "pod-start": () => podStart(Math.max(5, runs)),
  throughput: () => throughput(4),
  swarm: () => swarm(Math.max(5, runs)),
  cli: () => cliLatency(10),
  scale: () => scale(10_000, 200),
  "scale-postgres": () => scaleOnPostgres(10_000, 200),
  unplaceable: () => unplaceable(10_000, 20),
  "watch-cost": () => watchCost(10_000, 20),
  deployments: () => deployments(500, 10, 200),
  "node-loss": nodeLoss,
  shutdown: () => shutdown(5),
  "apply-stall": () => applyStall(3000, 20),
  network: () => network(runs),
  services: () => services(runs),
  failover: () => failover(Math.min(runs, 3)),
  observability,
};
const selected = chosen.length === 0 || chosen.includes("all") ? Object.keys(parts) : chosen;
const unknown = selected.find((part) => !parts[part]);
if (unknown) fail(`unknown part "${unknown}": ${Object.keys(parts).join(", ")}`);
if (write && selected.length !== Object.keys(parts).length) fail("--write writes the whole table from one run: run every part (no part named)");

const git = async (...command: string[]) => (await run("git", command, { cwd: projectRoot })).stdout.trim();
const commit = `${(await git("rev-parse", "--short", "HEAD")).slice(0, 7)}${(await git("status", "--porcelain", "--untracked-files=no")) ? " with uncommitted changes" : ""}`;
const began = new Date();
const rows: Row[] = [];
for (const part of selected) {
  process.stderr.write(`bench: ${part}...\n`);
  const partRows = await parts[part]();
  rows.push(...partRows);
  process.stderr.write(`${table(partRows)}\n`);
}
const docker = (await run("docker", ["version", "--format", "{{.Server.Version}}"])).stdout.trim();
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Docker ${docker}`;
const minutes = Math.round((Date.now() - began.getTime()) / 60_000);
const output = `${table(rows)}\n\nOne run of \`npm run bench\` (parts: ${selected.join(", ")}), ${began.toISOString().slice(0, 16).replace("T", " ")} UTC, ${minutes} min, commit ${commit}. Machine: ${machine}.\n`;
process.stdout.write(output);
if (write)
  writeFileSync(
    join(projectRoot, "bench", "RESULTS.md"),
    `# Benchmark results\n\nWritten by \`npm run bench -- --write\`, the whole table from one run; what the figures say, and each issue's figures before and after it, are in [ANALYSIS.md](ANALYSIS.md).\n\n${output}`,
  );
process.exit(0);

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}
