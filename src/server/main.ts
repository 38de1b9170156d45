import { startFollower } from "../agent/start-follower.js";
import { startLeader } from "../leader/start-leader.js";
import { standByOrLead } from "../leader/stand-by-or-lead.js";
import { NODE_NAME_PATTERN } from "../shared/domain.js";
import { createLogger } from "../shared/logger.js";
import type { RunningServer } from "../shared/running-server.js";
import { parseServerArgs, serverUsage, UsageError } from "./parse-server-args.js";

function fail(message: string, exitCode: number): never {
  process.stderr.write(`cube-server: ${message}\n`);
  process.exit(exitCode);
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseServerArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message} (see cube-server --help)`, 2);
    throw error;
  }
  if (command.mode === "help") {
    process.stdout.write(serverUsage());
    return;
  }
  if (!NODE_NAME_PATTERN.test(command.config.name)) {
    fail(`invalid node name "${command.config.name}": use lowercase letters, digits, "-" and "." (set --name)`, 2);
  }
  // What the server writes is its owner's only (databases, keys, configs), whatever the shell's umask.
  process.umask(0o077);
  const log = createLogger("server");
  for (const warning of command.warnings) log.warn(warning);
  // Listened for from before the start: a signal that comes during it stops the server once it has started.
  const signalled = new Promise<void>((resolve) => {
    process.on("SIGINT", resolve);
    process.on("SIGTERM", resolve);
  });
  let server: RunningServer;
  try {
    const { mode, config } = command;
    server =
      mode === "follower" ? await startFollower(config) : config.store ? await standByOrLead({ ...config, store: config.store }) : await startLeader(config);
  } catch (error) {
    fail((error as Error).message, 1);
  }
  await signalled;
  server.stop().then(
    () => process.exit(0),
    (error: Error) => fail(`error while stopping: ${error.message}`, 1),
  );
}

await main();
