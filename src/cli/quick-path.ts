// The commands people type all day, run without oclif's runtime: bin/run.js tries this first and hands every other
// command line (help, completion, an unknown flag, a bad value, the other commands) to oclif. Built as its own bundle
// (dist/cli/quick.cjs), so that a `cube list` loads none of oclif, zod, yaml or grpc-js.
import { parseArgs } from "node:util";
import { configPath, loadConfig, type CubeConfig } from "./config.js";
import { failureLine } from "./describe-error.js";
import { LeaderClient } from "./leader-client.js";
import { OUTPUT_FORMATS, type OutputFormat } from "./output-formats.js";
import { printList } from "./print-list.js";
import { parseTypeArgument } from "./resource-ref.js";
import { printNodes } from "./show-node.js";

/** The flags the quick path reads, as oclif's commands define them (test/cli/quick-path.test.ts holds them equal). */
export const QUICK_FLAGS = {
  output: { type: "string", short: "o" },
  selector: { type: "string", short: "l" },
  watch: { type: "boolean", short: "w" },
} as const;

type FlagName = keyof typeof QUICK_FLAGS;

interface QuickFlags {
  output: OutputFormat;
  selector?: string;
  watch: boolean;
}

interface QuickCommand {
  flags: FlagName[];
  /** How many arguments it takes at most. */
  args: number;
  run(leader: LeaderClient, args: string[], flags: QuickFlags): Promise<void>;
}

/** The commands the quick path runs, by name. */
export const QUICK_COMMANDS: Record<string, QuickCommand> = {
  list: {
    flags: ["output", "selector", "watch"],
    args: 1,
    run: (leader, [type], flags) => printList(leader, type === undefined ? "" : parseTypeArgument(type), flags.output, flags.selector, flags.watch),
  },
  nodes: { flags: ["output"], args: 0, run: (leader, _args, flags) => printNodes(leader, flags.output) },
};

/** A command line the quick path runs. */
export interface QuickLine {
  name: string;
  args: string[];
  flags: QuickFlags;
}

/** What the quick path makes of a command line; undefined for one it leaves to oclif. */
export function quickLine(argv: string[]): QuickLine | undefined {
  const [name, ...rest] = argv;
  const command = Object.hasOwn(QUICK_COMMANDS, name ?? "") ? QUICK_COMMANDS[name] : undefined;
  if (!command) return undefined;
  const options = Object.fromEntries(command.flags.map((flag) => [flag, QUICK_FLAGS[flag]]));
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch {
    return undefined; // an unknown flag, a missing value, --help: oclif says what it says of them
  }
  const values = parsed.values as { output?: string; selector?: string; watch?: boolean };
  const output = values.output ?? "table";
  if (parsed.positionals.length > command.args || !(OUTPUT_FORMATS as readonly string[]).includes(output)) return undefined;
  return { name, args: parsed.positionals, flags: { output: output as OutputFormat, selector: values.selector, watch: values.watch ?? false } };
}

/** Runs the command line if it is one of the quick path's; false when it is not (oclif runs it). */
export async function run(argv: string[] = process.argv.slice(2)): Promise<boolean> {
  const line = quickLine(argv);
  if (!line) return false;
  const path = configPath();
  let config: CubeConfig | undefined;
  let leader: LeaderClient | undefined;
  try {
    config = loadConfig(path);
    leader = await LeaderClient.open(config, path);
    await QUICK_COMMANDS[line.name].run(leader, line.args, line.flags);
  } catch (error) {
    process.stderr.write(failureLine(error, { path, value: config, command: `cube ${line.name}` }));
    process.exitCode = 1;
  } finally {
    leader?.close();
  }
  return true;
}
