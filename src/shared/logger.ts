export type LogLevel = "info" | "warn" | "error";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** One line per message on stderr: time, level, component, message. */
export function createLogger(component: string, write: (line: string) => void = (line) => void process.stderr.write(line)): Logger {
  const log = (level: LogLevel) => (message: string) => write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${message}\n`);
  return { info: log("info"), warn: log("warn"), error: log("error") };
}
