import { expect } from "chai";
import { demultiplex, MAX_LINE_PIECE_BYTES, mergeByTime, parseTimestampNs, timestampedLines, type Frame, type LogLine } from "../../src/agent/log-lines.js";

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}
async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/** A multiplexed Docker frame. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const line = (container: string, ns: bigint, text: string): LogLine & { container: string } => ({
  container,
  stream: "stdout",
  timestampNs: ns,
  data: Buffer.from(text),
});
const texts = (lines: { data: Buffer }[]) => lines.map((l) => l.data.toString());

describe("Docker log streams", () => {
  it("demultiplexes frames whatever the chunking", async () => {
    const bytes = Buffer.concat([frame(1, "out\n"), frame(2, "err\n"), frame(1, "more\n")]);
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 13), bytes.subarray(13, 14), bytes.subarray(14)];
    const frames = await collect(demultiplex(from(chunks)));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).to.deep.equal([
      ["stdout", "out\n"],
      ["stderr", "err\n"],
      ["stdout", "more\n"],
    ]);
  });

  it("reads RFC3339Nano timestamps to the nanosecond, trailing zeros trimmed or not", () => {
    expect(parseTimestampNs("2026-01-02T03:04:05.123456789Z")).to.equal(1767323045123456789n);
    expect(parseTimestampNs("2026-01-02T03:04:05.1Z")).to.equal(1767323045100000000n);
    expect(parseTimestampNs("2026-01-02T03:04:05Z")).to.equal(1767323045000000000n);
    expect(parseTimestampNs("yesterday")).to.equal(undefined);
  });

  it("splits timestamped frames into lines, joining a line that came in pieces and keeping its first time", async () => {
    const frames: Frame[] = [
      { stream: "stdout", payload: Buffer.from("2026-01-02T03:04:05.000000001Z hello \n") },
      { stream: "stdout", payload: Buffer.from("2026-01-02T03:04:05.000000002Z partial ") },
      { stream: "stderr", payload: Buffer.from("2026-01-02T03:04:05.000000003Z other\n") },
      { stream: "stdout", payload: Buffer.from("2026-01-02T03:04:05.000000004Z end\n") },
      { stream: "stdout", payload: Buffer.from("2026-01-02T03:04:05.000000005Z no newline at the end") },
    ];
    const lines = await collect(timestampedLines(from(frames)));
    expect(lines.map((l) => [l.stream, l.timestampNs % 10n, l.data.toString()])).to.deep.equal([
      ["stdout", 1n, "hello \n"],
      ["stderr", 3n, "other\n"],
      ["stdout", 2n, "partial end\n"],
      ["stdout", 5n, "no newline at the end"],
    ]);
  });
});

describe("timestampedLines on a long line", () => {
  it("sends a line longer than 64 KiB in pieces of 64 KiB, all but the last partial, holding no more than one piece", async () => {
    const piece = (text: string, n: number) => ({ stream: "stdout" as const, payload: Buffer.from(`2026-01-02T03:04:05.00000000${n}Z ${text}`) });
    // As Docker gives a long line: in pieces of 16 KiB, each with its own time.
    const long = "x".repeat(150 * 1024);
    const frames = [];
    for (let at = 0; at < long.length; at += 16 * 1024) frames.push(piece(long.slice(at, at + 16 * 1024), 1));
    frames.push(piece("end of the long line\n", 2), piece("next\n", 3));
    const lines = await collect(timestampedLines(from(frames)));
    expect(lines.map((l) => [l.data.length, l.partial ?? false, l.timestampNs % 10n])).to.deep.equal([
      [MAX_LINE_PIECE_BYTES, true, 1n],
      [MAX_LINE_PIECE_BYTES, true, 1n],
      [150 * 1024 - 2 * MAX_LINE_PIECE_BYTES + "end of the long line\n".length, false, 1n],
      [5, false, 3n],
    ]);
    expect(Buffer.concat(lines.slice(0, 3).map((l) => l.data)).toString()).to.equal(`${long}end of the long line\n`);
  });
});

describe("mergeByTime", () => {
  it("interleaves sources in time order", async () => {
    const merged = await collect(mergeByTime([from([line("a", 1n, "a1"), line("a", 4n, "a2")]), from([line("b", 2n, "b1"), line("b", 3n, "b2")])]));
    expect(texts(merged)).to.deep.equal(["a1", "b1", "b2", "a2"]);
  });

  it("keeps the order of the sources for equal times, and each source's own order", async () => {
    const merged = await collect(mergeByTime([from([line("a", 5n, "a1"), line("a", 5n, "a2")]), from([line("b", 5n, "b1")]), from([line("c", 1n, "c1")])]));
    expect(texts(merged)).to.deep.equal(["c1", "a1", "a2", "b1"]);
  });

  it("is not held up by a silent source", async () => {
    const merged = await collect(mergeByTime([from<LogLine & { container: string }>([]), from([line("b", 1n, "b1"), line("b", 2n, "b2")])]));
    expect(texts(merged)).to.deep.equal(["b1", "b2"]);
  });

  it("reads one line ahead per source, not whole logs", async () => {
    let produced = 0;
    async function* endless(name: string) {
      for (let i = 0n; ; i++) {
        produced++;
        yield line(name, i, `${name}${i}`);
      }
    }
    const merged = mergeByTime([endless("a"), endless("b")]);
    for (let i = 0; i < 10; i++) await merged.next();
    await merged.return(undefined);
    expect(produced).to.be.at.most(12);
  });
});
