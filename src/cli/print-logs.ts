import { once } from "node:events";
import type { LogChunk, LogLine } from "../gen/cube.js";
import type { PodSpec } from "../shared/domain.js";
import { parseDuration } from "../shared/duration.js";
import { colors } from "./colors.js";
import type { LeaderClient } from "./leader-client.js";
import { LogOutput, mergeInTimeOrder } from "./log-output.js";
import { logPrefixer } from "./log-prefix.js";
import { cancelOnInterrupt } from "./own-cancel.js";
import { podFor, podsMatching } from "./pick-pod.js";
import { printable } from "./printable.js";
import { parseOneResource, UsageError } from "./resource-ref.js";

export interface LogsFlags {
  selector?: string;
  container?: string;
  follow: boolean;
  tail?: number;
  since?: string;
  timestamps: boolean;
  previous: boolean;
}

/**
 * `cube logs`: a pod's logs (or a deployment's replica's, or every pod a selector picks), every container's lines
 * merged in time order and prefixed; `words` as typed, the leader connected to once they are understood.
 */
export async function printLogs(connect: () => Promise<LeaderClient>, words: string[], flags: LogsFlags): Promise<void> {
  if (flags.selector !== undefined && words.length > 0) throw new UsageError("give either a pod or -l, not both");
  if (flags.selector === undefined && words.length === 0) throw new UsageError("name a pod (cube logs my-pod) or select pods (cube logs -l app=web)");
  const sinceMs = flags.since === undefined ? undefined : parseDuration(flags.since);
  if (flags.since !== undefined && sinceMs === undefined) throw new UsageError(`--since must be a duration such as 10s, 5m or 2h, got "${flags.since}"`);
  const leader = await connect();
  const pods = flags.selector !== undefined ? await podsMatching(leader, flags.selector) : [await podFor(leader, parseOneResource(words, "pod"))];
  // Each pod's containers, for prefixes aligned across them (and a clear error for an unknown pod first). Several
  // pods' lines are told apart as pod/container (pod alone with --container).
  const several = flags.selector !== undefined;
  const sources = await Promise.all(
    pods.map(async (pod) => {
      const response = await leader.get("pod", pod);
      const containers = response.pod ? (JSON.parse(response.pod.specJson) as PodSpec).containers.map((c) => c.name) : [];
      const label = (container: string) => (several ? (flags.container ? pod : `${pod}/${container}`) : container);
      return { pod, label, labels: (flags.container ? [flags.container] : containers).map(label) };
    }),
  );
  const prefix =
    flags.container && !several
      ? () => ""
      : logPrefixer(
          sources.flatMap((source) => source.labels),
          colors,
        );
  const output = new LogOutput(prefix, flags.timestamps);
  const request = {
    type: "pod",
    container: flags.container ?? "",
    follow: flags.follow,
    tail: flags.tail,
    since: sinceMs === undefined ? undefined : new Date(Date.now() - sinceMs),
    previous: flags.previous,
  };
  const streams = await Promise.all(sources.map(async ({ pod, label }) => ({ label, stream: await leader.logs({ ...request, name: pod }) })));
  const interrupts = streams.map(({ stream }) => cancelOnInterrupt(stream));
  const write = async (lines: LogLine[]) => {
    if (!process.stdout.write(output.format(lines))) await once(process.stdout, "drain");
  };
  const read = async (index: number, each: (lines: LogLine[]) => Promise<void>) => {
    const { label, stream } = streams[index];
    const interrupt = interrupts[index];
    try {
      for await (const chunk of stream as AsyncIterable<LogChunk>) await each(chunk.lines.map((line) => ({ ...line, container: label(line.container) })));
    } catch (error) {
      if (interrupt.isOwn(error)) return;
      // One pod of several that has no logs to give (not started yet, its node away) does not hide the others'.
      const details = (error as { details?: string }).details;
      if (!several || !details) throw error;
      process.stderr.write(`warning: pod/${sources[index].pod}: ${printable(details)}\n`);
      process.exitCode = 1;
    } finally {
      interrupt.dispose();
    }
  };
  try {
    if (flags.follow || streams.length === 1) await Promise.all(streams.map((_, index) => read(index, write)));
    else {
      // Several pods' whole logs: kept, then merged in time order.
      const perPod = streams.map((): LogLine[] => []);
      await Promise.all(streams.map((_, index) => read(index, async (lines) => void perPod[index].push(...lines))));
      await write(mergeInTimeOrder(perPod));
    }
  } catch (error) {
    for (const interrupt of interrupts) interrupt.cancel();
    throw error;
  }
}
