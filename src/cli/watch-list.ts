import { setTimeout as sleep } from "node:timers/promises";
import { Status } from "@grpc/grpc-js/build/src/constants.js";
import type { ResourceSummary, WatchEvent } from "../gen/cube.js";
import type { ResourceType } from "../shared/domain.js";
import { printStructured, type OutputFormat } from "./output-formats.js";
import type { LeaderClient } from "./leader-client.js";
import { listHeaders, listRow, summaryValue } from "./resource-table.js";
import { columnWidths, renderRow } from "./table.js";
import { cancelOnInterrupt } from "./own-cancel.js";

/** How long a cut watch waits between its tries to watch again (the leader restarting, another taking over). */
const RETRY_MS = 1000;
/** How long it tries, as a call does through a failover; then it ends with what cut it (the leader is not back). */
const RESUME_WAIT_MS = 10_000;

/**
 * How a watch stream failed, when watching again may go on with it: the connection lost (a leader killed, a network
 * cut), the stream ended by a leader stopping (CANCELLED, not ours), or left behind by the changes (ABORTED: listed
 * again). Anything else (a refusal) is the command's failure.
 */
function cutReason(error: unknown): string | undefined {
  const { code, details } = error as { code?: number; details?: string };
  return code === Status.UNAVAILABLE || code === Status.CANCELLED || code === Status.ABORTED ? (details ?? "cut") : undefined;
}

const keyOf = (item: ResourceSummary) => `${item.type}/${item.name}`;

/**
 * `list --watch`: the list as it stood (a table, its columns sized to it), then one line per change, aligned to it.
 * For scripts, one document per change (`-o json`: a JSON object per line; `-o yaml`: YAML documents; `-o name`).
 * A watch that is cut (a leader killed or restarted, another taking over) watches again if a leader answers within
 * RESUME_WAIT_MS, from the revision it had when the same leader still holds it, else from a new list, whose
 * differences from what was shown are printed as changes: the output goes on as if the watch had never been cut. A
 * leader not back by then ends it with what cut it.
 */
export async function watchList(leader: LeaderClient, type: ResourceType | "", output: OutputFormat, selector: string, name = ""): Promise<void> {
  const wide = output === "wide";
  const headers = listHeaders(type, wide);
  let widths: number[] = [];
  /** What was printed, as it was last printed. */
  const shown = new Map<string, ResourceSummary>();
  let position: { log: string; revision: number } | undefined;
  const print = async (kind: string, item: ResourceSummary) => {
    if (kind === "DELETED") shown.delete(keyOf(item));
    else shown.set(keyOf(item), item);
    const printed = kind === "DELETED" ? { ...item, status: "Deleted" } : item;
    if (output === "json") process.stdout.write(`${JSON.stringify({ kind, ...summaryValue(printed) })}\n`);
    else if (output === "yaml") await printStructured({ kind, ...summaryValue(printed) }, "yaml").then(() => process.stdout.write("---\n"));
    else if (output === "name") process.stdout.write(`${item.type}/${item.name}\n`);
    else process.stdout.write(`${renderRow(listRow(printed, type, wide, new Date()), widths)}\n`);
  };
  const printFirstList = async (items: ResourceSummary[]) => {
    // The list as it stood: its widths (with room to spare) hold for the lines that follow.
    const now = new Date();
    const rows = items.map((item) => listRow(item, type, wide, now));
    widths = columnWidths(headers, rows).map((width) => width + 2);
    for (const item of items) shown.set(keyOf(item), item);
    if (output === "table" || output === "wide") process.stdout.write(`${[headers, ...rows].map((row) => renderRow(row, widths)).join("\n")}\n`);
    else for (const item of items) await print("ADDED", item);
  };
  /** A list after a cut: what differs from what was shown, as changes. */
  const printDifferences = async (items: ResourceSummary[]) => {
    const listed = new Map(items.map((item) => [keyOf(item), item]));
    for (const [key, item] of listed) {
      const before = shown.get(key);
      if (!before) await print("ADDED", item);
      else if (JSON.stringify(before) !== JSON.stringify(item)) await print("MODIFIED", item);
    }
    for (const [key, item] of shown) if (!listed.has(key)) await print("DELETED", item);
  };

  for (;;) {
    const stream = await leader.watch({ type, selector, name, resumeLog: position?.log ?? "", resumeRevision: position?.revision ?? 0 });
    const interrupt = cancelOnInterrupt(stream);
    let listed: ResourceSummary[] | undefined = [];
    let cut: { reason: string; error: unknown };
    try {
      for await (const change of stream as AsyncIterable<WatchEvent>) {
        if (change.kind === "SYNCED") {
          if (!position) await printFirstList(listed!);
          else if (!change.resumed) await printDifferences(listed!);
          if (position) process.stderr.write(`watching again: ${change.resumed ? "resumed" : "listed again"}\n`);
          position = { log: change.log, revision: change.revision };
          listed = undefined;
        } else if (listed) listed.push(change.item!);
        else {
          await print(change.kind, change.item!);
          position!.revision = change.revision;
        }
      }
      // A watch has no end of its own: a leader that ended it without a word is as good as gone.
      cut = { reason: "the leader ended the watch", error: new Error("the leader ended the watch") };
    } catch (error) {
      if (interrupt.isOwn(error)) return;
      const reason = cutReason(error);
      if (reason === undefined) throw error;
      cut = { reason, error };
    } finally {
      interrupt.dispose();
    }
    process.stderr.write(`the watch was cut (${cut.reason}): watching again if a leader answers within ${RESUME_WAIT_MS / 1000} s\n`);
    if (!(await leaderAnswers(leader, Date.now() + RESUME_WAIT_MS))) throw cut.error;
  }
}

/**
 * Whether a leader answers before `giveUpAt` (every address the config names asked, as any call does); Ctrl-C
 * meanwhile ends the command as it would any other.
 */
async function leaderAnswers(leader: LeaderClient, giveUpAt: number): Promise<boolean> {
  while (Date.now() < giveUpAt) {
    await sleep(RETRY_MS);
    try {
      await leader.version();
      return true;
    } catch (error) {
      if (cutReason(error) === undefined) throw error;
    }
  }
  return false;
}
