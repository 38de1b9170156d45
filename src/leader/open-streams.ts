import * as grpc from "@grpc/grpc-js";
import { statusError } from "../shared/grpc-server.js";
import { LEADER_STOPPING } from "../shared/unavailable-reason.js";

/** A call that streams to a client: it can be ended with a status, and says when it ends. */
type StreamingCall = { emit(event: "error", error: unknown): boolean; on(event: "cancelled" | "close", listener: () => void): unknown };

/**
 * The long calls under way (watches, followed logs, exec and port-forward sessions): a stopping leader ends them with a
 * status that says so, which a CLI prints and fails on, rather than cutting them (a cancel, as Ctrl-C's) or ending them
 * quietly (as if the stream were done).
 */
export class OpenStreams {
  private readonly open = new Set<StreamingCall>();

  /** Follows `call` until it ends; `onEnd` runs then (once), however it ends. */
  add(call: StreamingCall, onEnd: () => void = () => undefined): void {
    this.open.add(call);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.open.delete(call);
      onEnd();
    };
    call.on("cancelled", end);
    call.on("close", end);
  }

  endAll(): void {
    for (const call of this.open) call.emit("error", statusError(grpc.status.UNAVAILABLE, LEADER_STOPPING));
    this.open.clear();
  }
}
