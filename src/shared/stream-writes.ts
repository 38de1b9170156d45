import { once } from "node:events";
import type { Writable } from "node:stream";

/** Writes a message and, when the stream's buffer is full, waits until it drains (or the stream closes). */
export async function writeWithBackpressure<T>(stream: Writable & { write(message: T): boolean }, message: T): Promise<void> {
  if (stream.write(message)) return;
  await Promise.race([once(stream, "drain"), once(stream, "close")]);
}

/** Forwards every message of `from` to `to`, pausing `from` while `to` is full. */
export function relay<T>(from: NodeJS.ReadableStream, to: Writable & { write(message: T): boolean }): void {
  from.on("data", (message: T) => {
    if (!to.write(message)) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  });
}
