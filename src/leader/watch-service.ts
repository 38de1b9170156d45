import * as grpc from "@grpc/grpc-js";
import type { CubeServer, ResourceSummary, WatchEvent } from "../gen/cube.js";
import { eventToWire } from "../shared/codec.js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { writeWithBackpressure } from "../shared/stream-writes.js";
import type { ChangeFeed } from "./store/change-feed.js";
import type { OpenStreams } from "./open-streams.js";
import { toStatus } from "./unary-handler.js";

/** How often a watch looks whether anything changed: a counter read, nothing more, unless it moved. */
const LOOK_MS = 100;

/** The watched, as `list` computes it; the nodes' statuses (a node's health changes what its pods show, not the database). */
export interface WatchSources {
  feed: ChangeFeed;
  summaries(type: string, selector: string): Promise<ResourceSummary[]>;
  nodeStatuses(): string;
  /** The uid of a resource (whose events to send), or undefined when there is none; throws a user's mistake for a bad type. */
  uidOf(type: string, name: string): Promise<string | undefined>;
}

type WatchedCall = grpc.ServerWritableStream<unknown, unknown>;

/**
 * The `Watch` and `Events` calls: each sends what there is, then looks again every LOOK_MS whether the leader wrote
 * anything (or a node's status changed), and sends what changed. `streams` ends them when the leader stops (they
 * never end by themselves, and a server waits for its calls).
 */
export function watchHandlers(sources: WatchSources, streams: OpenStreams, log: Logger): Pick<CubeServer, "watch" | "events"> {
  /** Runs `look` until the call ends: at once, then whenever the feed moved. */
  function follow(call: WatchedCall, look: () => Promise<void>, once: boolean): void {
    let ended = false;
    const end = () => (ended = true);
    streams.add(call, end);
    void (async () => {
      let seen: string | undefined;
      while (!ended) {
        const now = `${await sources.feed.version()}:${sources.nodeStatuses()}`;
        if (now !== seen) {
          seen = now;
          await look();
          if (once) break;
        }
        await new Promise((resolve) => setTimeout(resolve, LOOK_MS));
      }
      if (!ended) call.end();
      end();
    })().catch((error) => {
      end();
      call.emit("error", toStatus(error, log));
    });
  }

  return {
    watch: (call) => {
      const { type, selector, name } = call.request;
      const key = (item: ResourceSummary) => `${item.type}/${item.name}`;
      let previous = new Map<string, { item: ResourceSummary; json: string }>();
      let synced = false;
      follow(
        call,
        async () => {
          const items = (await sources.summaries(type, selector)).filter((item) => name === "" || item.name === name);
          const current = new Map(items.map((item) => [key(item), { item, json: JSON.stringify(item) }]));
          const changes: WatchEvent[] = [];
          for (const [id, { item, json }] of current) {
            const before = previous.get(id);
            if (!before) changes.push({ kind: "ADDED", item });
            else if (before.json !== json) changes.push({ kind: "MODIFIED", item });
          }
          for (const [id, { item }] of previous) if (!current.has(id)) changes.push({ kind: "DELETED", item });
          // After the first look, a mark: what came before it is the list as it stood (the client prints it as a table).
          if (!synced) changes.push({ kind: "SYNCED" });
          synced = true;
          previous = current;
          for (const change of changes) await writeWithBackpressure(call, change);
        },
        false,
      );
    },

    events: (call) => {
      const { type, name, watch } = call.request;
      void (async () => {
        const uid = name === "" ? undefined : await sources.uidOf(type, name);
        if (name !== "" && uid === undefined) throw statusError(grpc.status.NOT_FOUND, `${type}/${name} not found`);
        // Events are updated in place when they repeat (count, time): what was sent is remembered by id and count.
        let sent = new Map<number, number>();
        let since = 0;
        follow(
          call,
          async () => {
            const records = await sources.feed.eventsSince(since, uid);
            for (const record of records) {
              const count = record.event.count ?? 1;
              if (sent.get(record.id) === count) continue;
              await writeWithBackpressure(call, { type: record.type, name: record.name, event: eventToWire(record.event) });
            }
            // Only what the next look can return again is remembered: a watch of a year does not grow.
            since = Math.max(since, ...records.map((record) => record.event.time.getTime()));
            sent = new Map(records.filter((r) => r.event.time.getTime() >= since).map((r) => [r.id, r.event.count ?? 1]));
          },
          !watch,
        );
      })().catch((error) => call.emit("error", toStatus(error, log)));
    },
  };
}
