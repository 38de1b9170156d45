import type { TestProcess } from "./processes.js";

/** The role one of several leaders last logged: active (it holds the lease) or standing by. */
export function lastRole(process: TestProcess): "active" | "standby" | undefined {
  for (let i = process.lines.length - 1; i >= 0; i--) {
    if (/\[leader\] active: this leader holds term/.test(process.lines[i])) return "active";
    if (/\[leader\] standing by/.test(process.lines[i])) return "standby";
  }
  return undefined;
}
