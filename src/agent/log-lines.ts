// Turning Docker's multiplexed, timestamped log stream into lines, and merging the lines of several containers.

export type OutputStream = "stdout" | "stderr";

/** One log line of one container, its newline included when it had one; or a piece of a long one (`partial`). */
export interface LogLine {
  stream: OutputStream;
  /** Docker's RFC3339Nano timestamp in nanoseconds since the epoch: Date's milliseconds cannot order lines. */
  timestampNs: bigint;
  data: Buffer;
  /** More of this line follows: a long line goes out in pieces, so that neither memory nor a message holds it whole. */
  partial?: boolean;
}

/** The longest piece of a line held and sent at once. */
export const MAX_LINE_PIECE_BYTES = 64 * 1024;

export interface Frame {
  stream: OutputStream;
  payload: Buffer;
}

/**
 * Splits Docker's multiplexed stream (8-byte headers: stream type, 3 zero bytes, a 32-bit big-endian length) into
 * frames, whatever the chunking of the bytes that carry it.
 */
export async function* demultiplex(chunks: AsyncIterable<Buffer>): AsyncGenerator<Frame> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const length = pending.readUInt32BE(4);
      if (pending.length < 8 + length) break;
      yield { stream: pending[0] === 2 ? "stderr" : "stdout", payload: pending.subarray(8, 8 + length) };
      pending = pending.subarray(8 + length);
    }
  }
}

/** "2026-01-02T03:04:05.123456789Z" → nanoseconds since the epoch; undefined if it is not such a timestamp. */
export function parseTimestampNs(text: string): bigint | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
}

export function timestampToDate(timestampNs: bigint): Date {
  return new Date(Number(timestampNs / 1_000_000n));
}

/**
 * Lines from timestamped frames ("<RFC3339Nano> <text>"). A line that reaches us in pieces (no newline yet) is joined
 * with what follows on the same stream, and keeps its first piece's time, so that a merge never splits it; a line
 * longer than MAX_LINE_PIECE_BYTES goes out in pieces of that size, marked partial but the last.
 */
export async function* timestampedLines(frames: AsyncIterable<Frame>): AsyncGenerator<LogLine> {
  const partial: Partial<Record<OutputStream, LogLine>> = {};
  for await (const frame of frames) {
    let rest: Buffer = frame.payload;
    while (rest.length > 0) {
      const newline = rest.indexOf(0x0a);
      const piece = newline < 0 ? rest : rest.subarray(0, newline + 1);
      rest = newline < 0 ? Buffer.alloc(0) : rest.subarray(newline + 1);
      const space = piece.indexOf(0x20);
      const timestampNs = space > 0 ? parseTimestampNs(piece.subarray(0, space).toString("latin1")) : undefined;
      const data = timestampNs === undefined ? piece : piece.subarray(space + 1);
      const open = partial[frame.stream];
      const line = open ? { ...open, data: Buffer.concat([open.data, data]) } : { stream: frame.stream, timestampNs: timestampNs ?? 0n, data };
      if (line.data[line.data.length - 1] === 0x0a) {
        delete partial[frame.stream];
        yield line;
      } else if (line.data.length >= MAX_LINE_PIECE_BYTES) {
        partial[frame.stream] = { ...line, data: Buffer.alloc(0) };
        for (let at = 0; at < line.data.length; at += MAX_LINE_PIECE_BYTES) {
          const piece = line.data.subarray(at, at + MAX_LINE_PIECE_BYTES);
          if (piece.length < MAX_LINE_PIECE_BYTES) partial[frame.stream]!.data = Buffer.from(piece);
          else yield { ...line, data: piece, partial: true };
        }
      } else partial[frame.stream] = line;
    }
  }
  for (const open of Object.values(partial)) if (open) yield open;
}

/**
 * Merges sources that are each in time order into one stream in time order (a k-way merge that holds one line per
 * source, so memory does not grow with the logs). Equal times keep the order of the sources.
 */
export async function* mergeByTime<Line extends { timestampNs: bigint }>(sources: AsyncIterable<Line>[]): AsyncGenerator<Line> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
  for (;;) {
    let best = -1;
    heads.forEach((head, index) => {
      if (!head.done && (best < 0 || head.value.timestampNs < (heads[best].value as Line).timestampNs)) best = index;
    });
    if (best < 0) return;
    yield heads[best].value as Line;
    heads[best] = await iterators[best].next();
  }
}
