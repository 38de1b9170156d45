// What every part of the benchmark shares: a row of the results table, medians and their formatting, and what a
// process has used (CPU, peak memory), read from /proc.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Row {
  figure: string;
  cube: string;
  docker: string;
  ratio: string;
  target: string;
}

/** A row with a figure of Cube's alone (nothing to compare it with in the same run). */
export const cubeRow = (figure: string, cube: string, target = ""): Row => ({ figure, cube, docker: "", ratio: "", target });

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

/** How long a program takes to run to its end, in ms. */
export async function wallTime(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const begin = process.hrtime.bigint();
  await run(command, args, { env: { ...process.env, ...env } });
  return Number(process.hrtime.bigint() - begin) / 1e6;
}

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime and stime, in clock ticks of 1/100 s
}

export function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
}

export function table(rows: Row[]): string {
  return [
    "| figure | Cube | Docker | ratio | target |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.figure} | ${r.cube} | ${r.docker} | ${r.ratio} | ${r.target} |`),
  ].join("\n");
}
