import type { ServiceError } from "@grpc/grpc-js";
// The status codes alone: grpc-js's index loads all of grpc-js, which the CLI's quick path does without.
import { Status as status } from "@grpc/grpc-js/build/src/constants.js";
import { printableLines } from "./printable.js";
import { FirstContactError } from "../shared/tls/first-contact-error.js";
import { isVerificationFailure, LEADER_STOPPING, NODE_UNREACHABLE, unavailableReason } from "../shared/unavailable-reason.js";
import { ConfigError, pinnedCaFile, type CubeConfig } from "./config.js";
import { UsageError } from "./resource-ref.js";

function isServiceError(error: unknown): error is ServiceError {
  return typeof error === "object" && error !== null && "code" in error && "details" in error;
}

/** Whether a stream ended because this client cancelled it (Ctrl-C, a timeout): not a failure to report. */
export const wasCancelled = (error: unknown) => (error as { code?: number }).code === status.CANCELLED;
export const isNotFound = (error: unknown) => (error as { code?: number }).code === status.NOT_FOUND;

/** What the CLI writes on stderr for a failure: "error: " and the line describeError says (its controls escaped). */
export function failureLine(error: unknown, config: { path: string; value?: CubeConfig; command?: string }): string {
  return `error: ${printableLines(describeError(error, config))}\n`;
}

/** The one line the CLI prints for a failure: what failed, why, what to do. */
export function describeError(error: unknown, config: { path: string; value?: CubeConfig; command?: string }): string {
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof FirstContactError) return error.message;
  if (isServiceError(error)) {
    const leader = config.value?.leaderUrl ?? "the leader";
    const reason = unavailableReason(error.details);
    switch (error.code) {
      case status.UNAUTHENTICATED:
        return `authentication failed: the password in ${config.path} does not match the leader's admin password`;
      case status.UNAVAILABLE:
        if (error.details.startsWith(NODE_UNREACHABLE)) return error.details; // the leader's words about a node
        if (error.details === LEADER_STOPPING) return `the leader at ${leader} is stopping: the stream ended; run the command again once it is back`;
        // A follower asks every caller for a node's certificate: its TLS says so in an alert.
        if (/certificate required/i.test(reason)) {
          return `the server at ${leader} asks for a node's certificate: it is a follower (or a leader standing by), not the active leader; point "leaderUrl" in ${config.path} at the leader`;
        }
        if (isVerificationFailure(reason)) {
          // The CA the CLI checked against: the config's own "ca", or the one it pinned at its first contact.
          const redo = config.value?.ca
            ? `copy its new admin-config.json over ${config.path} (its "ca" is the old cluster's)`
            : `remove its pinned CA (${pinnedCaFile(config.path, leader)})`;
          return `the leader at ${leader} failed TLS verification (${reason}): if the cluster was re-created, ${redo}; otherwise something is in the middle`;
        }
        return `cannot reach the leader at ${leader} (${reason}): is cube-server running there, and is "leaderUrl" in ${config.path} right?`;
      case status.CANCELLED: // not the CLI's own cancel (Ctrl-C), which ends a command quietly
        return `the leader at ${leader} ended the stream (${error.details || "cancelled"}): it stopped or cut the connection; run the command again once it is back`;
      case status.DEADLINE_EXCEEDED:
        return `the leader at ${leader} did not answer in time`;
      case status.INVALID_ARGUMENT:
        return error.details.includes("\n") ? `the leader refused the request:\n${error.details.replace(/^/gm, "  ")}` : error.details;
      case status.UNIMPLEMENTED:
        return `the server at ${leader} does not answer Cube's commands: it is a follower, an older cube-server, or not Cube at all; point "leaderUrl" in ${config.path} at the leader`;
      default:
        return error.details || error.message;
    }
  }
  // oclif's missing arguments: named, with what they are, on the one line.
  const missing = (error as { args?: { name?: string; description?: string }[] }).args;
  if (error instanceof Error && error.message.startsWith("Missing ") && Array.isArray(missing)) {
    const named = missing.map((arg) => `${(arg.name ?? "").toUpperCase()}${arg.description ? ` (${arg.description})` : ""}`);
    return `missing ${named.join(", ")}${config.command ? `: see \`${config.command} --help\`` : ""}`;
  }
  if (error instanceof Error && (error as { oclif?: unknown }).oclif !== undefined) return flagError(error.message, config.command);
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/**
 * oclif's words for a flag it could not take, on one line: "Parsing --replicas\n\tExpected an integer… but received:
 * abc\nSee more help with --help" becomes "--replicas: expected an integer… but received: abc: see `cube scale --help`".
 */
export function flagError(message: string, command?: string): string {
  const lines = message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^See more help/.test(line) && !/^The following errors? occurred:?$/.test(line));
  const lower = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
  const parsing = /^Parsing (--[\w-]+)$/.exec(lines[0] ?? "");
  const said = parsing
    ? `${parsing[1]}: ${lines.slice(1).map(lower).join("; ")}`
    : lines.map((line) => line.replace(/^Missing required flag ([\w-]+)$/, "--$1 is required").replace(/^Nonexistent flags?: /, "unknown flag ")).join("; ");
  return `${said}${command ? `: see \`${command} --help\`` : ""}`;
}
