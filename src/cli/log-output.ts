import type { LogLine } from "../gen/cube.js";

/**
 * What `cube logs` prints for the lines it receives: a prefix (and a timestamp, if asked) where a line starts, the
 * line's bytes, and a newline where a line ends without one. The pieces of a long line (`partial`) are printed as
 * they come, as one line: no prefix inside it, no newline between them.
 */
export class LogOutput {
  /** The container and stream of each line whose next piece is still to come. */
  private readonly continuing = new Set<string>();

  constructor(
    private readonly prefix: (container: string) => string,
    private readonly timestamps: boolean,
  ) {}

  format(lines: LogLine[]): Buffer {
    return Buffer.concat(
      lines.flatMap((line) => {
        const key = `${line.container}\0${line.stream}`;
        const data = Buffer.from(line.data);
        const start = this.continuing.has(key) ? "" : `${this.prefix(line.container)}${this.timestamps && line.time ? `${line.time.toISOString()} ` : ""}`;
        if (line.partial) this.continuing.add(key);
        else this.continuing.delete(key);
        const end = line.partial || data[data.length - 1] === 0x0a ? "" : "\n";
        return [Buffer.from(start), data, Buffer.from(end)];
      }),
    );
  }
}

/** Several pods' lines in time order; the pieces of a long line stay together, after its first. */
export function mergeInTimeOrder(perPod: LogLine[][]): LogLine[] {
  const units = perPod.flatMap((lines) => {
    const grouped: LogLine[][] = [];
    const open = new Map<string, LogLine[]>();
    for (const line of lines) {
      const key = `${line.container}\0${line.stream}`;
      const unit = open.get(key) ?? [];
      if (unit.length === 0) grouped.push(unit);
      unit.push(line);
      if (line.partial) open.set(key, unit);
      else open.delete(key);
    }
    return grouped;
  });
  const time = (unit: LogLine[]) => unit[0].time?.getTime() ?? 0;
  return units.sort((a, b) => time(a) - time(b)).flat();
}
