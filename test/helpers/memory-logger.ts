import type { Logger } from "../../src/shared/logger.js";

/** A logger that keeps its lines, "LEVEL message", for assertions. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(message: string) {
    this.lines.push(`INFO ${message}`);
  }
  warn(message: string) {
    this.lines.push(`WARN ${message}`);
  }
  error(message: string) {
    this.lines.push(`ERROR ${message}`);
  }
}
