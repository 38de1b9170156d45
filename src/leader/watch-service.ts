import * as grpc from "@grpc/grpc-js";
import type { CubeServer, ResourceSummary, WatchEvent } from "../gen/cube.js";
import { parseResourceType } from "../shared/domain.js";
import { eventToWire } from "../shared/codec.js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { writeWithBackpressure } from "../shared/stream-writes.js";
import type { ChangeFeed } from "./store/change-feed.js";
import type { OpenStreams } from "./open-streams.js";
import { toStatus } from "./unary-handler.js";
import { ChangeLog, type Change } from "./change-log.js";
import { checkType, labelMatcher } from "./resource-checks.js";
import { LOOK_MS } from "./paced-looks.js";

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
 * The `Watch` and `Events` calls, each sending what there is, then what changes. Watches are served from one change
 * log (change-log.ts), kept while anyone watches: it looks every LOOK_MS whether the leader wrote anything (or a node's
 * status changed), and records what changed in the whole list once; each watch then sends the changes it selects.
 * `streams` ends them when the leader stops (they never end by themselves, and a server waits for its calls).
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

  const keeper = new ChangeLogKeeper(sources, log);

  return {
    watch: (call) => {
      const { type, selector, name, resumeLog, resumeRevision } = call.request;
      void (async () => {
        const wanted = type === "" ? undefined : checkedType(type);
        const matches = labelMatcher(selector);
        const selected = (item: ResourceSummary) =>
          (wanted === undefined || item.type === wanted) && (name === "" || item.name === name) && matches(item.labels);
        let ended = false;
        let stopFollowing = () => {};
        const end = () => {
          ended = true;
          stopFollowing();
          keeper.leave();
        };
        streams.add(call, end);
        await keeper.join();
        if (ended) return;
        const changeLog = keeper.log;
        let seen: number;
        if (resumeLog === changeLog.id && changeLog.since(resumeRevision) !== undefined) {
          await writeWithBackpressure(call, { kind: "SYNCED", revision: resumeRevision, log: changeLog.id, resumed: true });
          seen = resumeRevision;
        } else {
          // The list as it stands, then a mark: what came before it is the list (the client prints it as a table).
          const { revision, items } = changeLog.snapshot();
          for (const item of items.filter(selected)) await writeWithBackpressure(call, { kind: "ADDED", item, revision, log: "", resumed: false });
          await writeWithBackpressure(call, { kind: "SYNCED", revision, log: changeLog.id, resumed: false });
          seen = revision;
        }
        /**
         * What a change is to this watch: a resource whose labels stop matching leaves it as deleted, one that starts
         * enters it as added (what it was before tells whether the watch showed it).
         */
        const eventOf = (change: Change): WatchEvent | undefined => {
          const was = change.previous !== undefined && selected(change.previous);
          const is = change.kind !== "DELETED" && selected(change.item);
          const kind = is ? (was ? "MODIFIED" : "ADDED") : was ? "DELETED" : undefined;
          return kind && { kind, item: change.item, revision: change.revision, log: "", resumed: false };
        };
        let sending = false;
        /** Sends the changes after `seen` that this watch selects; runs again while more come in meanwhile. */
        const sendChanges = async () => {
          sending = true;
          while (!ended && changeLog.revision > seen) {
            const changes = changeLog.since(seen);
            if (!changes) throw statusError(grpc.status.ABORTED, "this watch fell too far behind the changes: list again");
            for (const change of changes) {
              seen = change.revision;
              const event = eventOf(change);
              if (event) await writeWithBackpressure(call, event);
            }
          }
          sending = false;
        };
        const follow = () => {
          if (!sending) void sendChanges().catch(fail);
        };
        const fail = (error: unknown) => {
          end();
          call.emit("error", toStatus(error, log));
        };
        stopFollowing = changeLog.onChange(follow);
        follow();
      })().catch((error) => call.emit("error", toStatus(error, log)));
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

/** A type a user named, checked (a watch of an unknown type is refused as a list is). */
function checkedType(type: string) {
  checkType(type, false);
  return parseResourceType(type)!;
}

/**
 * Keeps the change log up to date while anyone watches: a look every LOOK_MS, which records the whole list only when
 * the store's revision or a node's status moved. A watch that joins waits for a look first, so its list is fresh.
 */
class ChangeLogKeeper {
  readonly log = new ChangeLog();
  private watchers = 0;
  private timer?: NodeJS.Timeout;
  private looking?: Promise<void>;
  private seen?: string;

  constructor(
    private readonly sources: WatchSources,
    private readonly logger: Logger,
  ) {}

  /**
   * Not paced by its cost as the cluster publisher is (paced-looks.ts): a watch is asked for each change, and paced
   * at 10 000 pods, changes less than a second apart would reach it merged into one.
   */
  async join(): Promise<void> {
    if (this.watchers++ === 0) {
      this.timer = setInterval(() => void this.look().catch((error: Error) => this.logger.error(`cannot follow the changes: ${error.message}`)), LOOK_MS);
    }
    await this.look();
  }

  leave(): void {
    if (--this.watchers > 0) return;
    clearInterval(this.timer);
    this.seen = undefined; // unwatched, the log falls behind: the next watch's look records the list anew
  }

  private look(): Promise<void> {
    this.looking ??= (async () => {
      const now = `${await this.sources.feed.version()}:${this.sources.nodeStatuses()}`;
      if (now === this.seen) return;
      this.seen = now;
      this.log.record(await this.sources.summaries("", ""));
    })().finally(() => (this.looking = undefined));
    return this.looking;
  }
}
