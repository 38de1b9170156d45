import { once } from "node:events";
import type { Socket } from "node:net";
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

/**
 * Joins a TCP connection and a stream of `{ data }` messages (a tunnelled connection, at either end): bytes both ways,
 * each side paused while the other is full, each side's end ending the other's half. Errors are the caller's.
 */
export function spliceSocket(socket: Socket, stream: NodeJS.ReadableStream & Writable & { write(message: { data: Buffer }): boolean }): void {
  socket.on("data", (data: Buffer) => {
    if (!stream.write({ data })) {
      socket.pause();
      stream.once("drain", () => socket.resume());
    }
  });
  socket.on("end", () => stream.end());
  stream.on("data", (message: { data?: Uint8Array }) => {
    if (message.data && !socket.write(message.data)) {
      stream.pause();
      socket.once("drain", () => stream.resume());
    }
  });
  stream.on("end", () => socket.end());
}
